#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 1: selftest with the prefetching kernels, then base (f92ddea),
# p0 (GEMV prefetch only) and new (GEMV prefetch + the compaction's 32 experts), alternating.
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 bash bundle/run-on-gpu.sh org.lte4j.cli.Main selftest --device cuda 2>&1 | tail -3
run() { echo "=== $1 $(date +%T)"; timeout 150 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -v "^\s*$" | grep -v "WARNING\|OpenJDK\|synthetic routers\|^x dense" | tail -22; }
for i in 1 2; do
  for v in bundle/base bundle/p0 bundle; do
    [ $(( $(date +%s) - start )) -lt 500 ] && run $v
  done
done
echo "elapsed $(( $(date +%s) - start )) s"
