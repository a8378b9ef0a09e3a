#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 8: the final tree (fccdc4c: the int8 GEMVs' loads spelled out
# again): selftest on CUDA; Q8_0 over int8 blocks, dense and sparse, captured.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
echo "=== q8_0 $(date +%T)"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense|Q8_0 GEMV" | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
