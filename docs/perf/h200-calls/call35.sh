#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 5: bundle/v5, the four-row batch matmuls specialised on rows and
# cols as well as the batch (fp16 and fp32 loading every token's x first, Q8_0 as in call31),
# against bundle/v4 (batch only, Q8_0 loading x first too); prefill lines.
V4="bash bundle/v4/run-on-gpu.sh org.lte4j.cli.Main"
V5="bash bundle/v5/run-on-gpu.sh org.lte4j.cli.Main"
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill" | cut -c1-200 | head -3; }
run V5 llama2-7b f16
run V5 llama2-7b q8_0
run V4 llama3-1b f16
run V5 llama3-1b f16
run V5 llama2-7b f32
