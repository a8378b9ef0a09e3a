#!/usr/bin/env bash
# Session 7 of 2026-11-30, call 2: the sparse Q8_0 layer over int8 blocks without its hidden-quantize
# launch (bundle/v1: the down over the float hidden, Experts.downActiveQ8_0FourRows) against 48d2bf2
# (router, compaction, gate/up over int8 blocks, hidden quantize, int8 down), alternating processes.
B="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
V="bash bundle/v1/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
run() { echo "=== $1 $(date +%T)"; timeout 200 ${!1} bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -vE "WARNING|prefill|^ *$" | tail -12 | cut -c1-200; }
for i in 1 2; do run B; run V; done
echo "elapsed $(( $(date +%s) - start )) s"
