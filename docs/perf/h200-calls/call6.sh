#!/usr/bin/env bash
# Second session of 2026-11-30, GPU call: selftest of the new tree on CUDA and NVIDIA OpenCL, then fp16 A/B (base = before the list-based fp16 gate/up and preloaded down).
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
for d in cuda opencl:1; do echo "=== selftest $d"; timeout 150 $R selftest --device $d 2>&1 | grep -E "FAIL|passed" | tail -4; done
PAIRS=2 timeout 420 bash bundle/ab.sh --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32
