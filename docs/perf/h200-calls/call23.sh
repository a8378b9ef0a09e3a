#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 1: the split Q8_0 GEMV over an input quantized to int8 blocks
# (integer dots, __dp4a) against the float-input GEMV, kernels alone; selftest of the new kernels.
R="bash bundle/run-on-gpu.sh"
echo "=== selftest cuda"; timeout 200 $R org.lte4j.cli.Main selftest --device cuda 2>&1 | grep -E "FAIL|passed|QuantizedInput" | tail -8
echo "=== gemv q8_0 cuda"; timeout 200 $R org.lte4j.bench.GemvTuning cuda q8_0 2>&1 | tail -30
