#!/usr/bin/env bash
# Session 4 of 2026-11-30, call 6: the dense Q8_0 FFN as RMSNorm, then a gate/up of four neurons
# per group over the normed input (the sparse Q8_0 gate/up's body), then the down: selftest, then
# base (042de8a) and new alternating, Q8_0 dense and sparse.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|FourNeurons" | tail -5
run() { echo "=== $1 $(date +%T)"; timeout 200 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense|kernels ms" | cut -c1-250; }
for i in 1 2; do
  for v in bundle bundle/base; do
    [ $(( $(date +%s) - start )) -lt 420 ] && run $v
  done
done
echo "elapsed $(( $(date +%s) - start )) s"
