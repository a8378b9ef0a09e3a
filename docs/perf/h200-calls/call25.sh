#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 3: the int8-block Q8_0 decode, three builds alternating:
# base (32d6ce6: every GEMV input quantized, one word per step), b (two words of one block per
# step), bundle (b, with the attention output and the down over floats: no quantize launches);
# then the sparse sweep of the last.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
run() { echo "=== $1 $(date +%T)"; timeout 200 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype q8_0 --tokens 32 2>&1 | grep -E "kernel [A-Z]|^DeviceLlama" | grep -v prefill | cut -c1-160; }
for i in 1 2; do
  for v in bundle/base bundle/b bundle; do
    [ $(( $(date +%s) - start )) -lt 330 ] && run $v
  done
done
echo "=== sparse $(date +%T)"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense|Q8_0 GEMV" | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
