#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 6: NVIDIA OpenCL (no __dp4a there: PackedBytes.dot as plain C, or
# dot_4x8packed_ss_int where the driver has cl_khr_integer_dot_product): selftest, the tiny Q8_0 LTE
# model's ids, llama3-1b Q8_0 over int8 blocks against floats; then fp16 sparse on CUDA, unchanged.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest opencl:1"; timeout 200 $R selftest --device opencl:1 2>&1 | grep -E "FAIL|passed|Quantized" | tail -10
for dev in opencl:1 cuda; do
  ids=$(timeout 120 $R generate --model bundle/lte-Q8_0.gguf --device $dev --prompt-ids 1,17,42 --max-tokens 40 --print-ids 2>/tmp/err.txt | tail -1)
  echo "lte-Q8_0 $dev sparse: $ids | $(tail -1 /tmp/err.txt | cut -c1-200)"
done
for q in int8 floats; do
  echo "=== opencl:1 llama3-1b q8_0 --q8-input $q"; timeout 120 $R bench --synthetic llama3-1b --device opencl:1 --dtype q8_0 --tokens 16 --q8-input $q 2>&1 | grep -E "^DeviceLlama" | cut -c1-160
done
echo "=== cuda fp16 sparse $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -E "^sparse|^dense" | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
