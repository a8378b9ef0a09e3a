#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 2: selftest with the split attention kernel, then the dense fp16
# decode with one group per head (lanes-per-position) against runs of positions (split-positions)
# at contexts 0, 1000 and 4000, alternating, one process each.
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 bash bundle/run-on-gpu.sh org.lte4j.cli.Main selftest --device cuda 2>&1 | tail -2
run() { echo "=== --attention $1 --context $2 $(date +%T)"; timeout 150 bash bundle/run-on-gpu.sh org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 32 --attention "$1" --context "$2" 2>&1 | grep -E "^decode|^DeviceLlama|attendOneQuery|^prefill of|Exception|rror" | cut -c1-170; }
for ctx in 0 4000 1000; do
  for att in lanes-per-position split-positions; do
    [ $(( $(date +%s) - start )) -lt 480 ] && run $att $ctx
  done
done
echo "elapsed $(( $(date +%s) - start )) s"
