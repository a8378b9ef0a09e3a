#!/usr/bin/env bash
# Session 4 of 2026-11-30, call 7: the Q8_0 adding GEMV (attention output, down) with eight rows a
# group: selftest, then base (8e3365e: four rows) and new alternating, dense Q8_0; then new sparse.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|EightRows" | tail -3
run() { echo "=== $1 $(date +%T)"; timeout 150 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype q8_0 --tokens 32 2>&1 | grep -E "^DeviceLlama|kernels|device copy" | cut -c1-260; }
for i in 1 2; do
  for v in bundle bundle/base; do
    [ $(( $(date +%s) - start )) -lt 330 ] && run $v
  done
done
[ $(( $(date +%s) - start )) -lt 320 ] && { echo "=== sparse q8_0"; timeout 120 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense" | cut -c1-150; }
echo "elapsed $(( $(date +%s) - start )) s"
