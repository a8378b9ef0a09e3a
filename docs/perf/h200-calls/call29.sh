#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 7: the final tree (one int8 GEMV with an adding flag, its pair loops
# through a per-row helper, the q/k/v kernels' shared group mapping): selftest on CUDA; Q8_0 over
# int8 blocks and fp16, dense and sparse, captured.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
for t in q8_0 f16; do
  echo "=== $t $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype $t --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense|Q8_0 GEMV" | cut -c1-200
done
echo "elapsed $(( $(date +%s) - start )) s"
