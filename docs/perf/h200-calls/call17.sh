#!/usr/bin/env bash
# Session 4 of 2026-11-30, call 2: the one-launch fp16 gate/up and down without tickets (roles by
# group index) and with its counters on separate lines: selftest, then base (042de8a) and new
# alternating on sparse fp16.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|Pipelined" | tail -3
run() { echo "=== $1 $(date +%T)"; timeout 150 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense|kernels ms" | cut -c1-260; }
for v in bundle bundle/base bundle; do
  [ $(( $(date +%s) - start )) -lt 400 ] && run $v
done
echo "elapsed $(( $(date +%s) - start )) s"
