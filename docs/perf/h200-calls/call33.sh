#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 3: the four-row batch matmuls with each lane's weight words (and
# Q8_0 scales) loaded two steps ahead (bundle/v3), prefill lines only.
V="bash bundle/v3/run-on-gpu.sh org.lte4j.cli.Main"
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill" | cut -c1-200 | head -3; }
run V llama2-7b f16
run V llama2-7b q8_0
run V llama3-1b f16
