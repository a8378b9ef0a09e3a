#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 8: Q8_0 prefill over int8 blocks (BatchMatMul.matMulQ8_0Int8InputFourRows,
# CUDA's default input) against the float-input four-row matmul (--q8-input floats), llama2-7b and
# llama3-1b; the LTE Q8_0 prompt at 50%; selftest on cuda; the demo model's ids.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|Int8Input" | tail -4
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
ids=$(timeout 120 $R generate --model "$m" --device cuda --prompt "First Citizen: Before we proceed any further, hear me speak." --max-tokens 60 --print-ids 2>/tmp/err.txt | tail -1)
echo "demo cuda: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids"
run() { echo "=== $* $(date +%T)"; timeout 200 $R bench --device cuda --tokens 8 "$@" 2>&1 | grep -E "prefill of|prefill kernel BatchMatMul" | cut -c1-200 | head -4; }
for i in 1 2; do
  run --synthetic llama2-7b --dtype q8_0
  run --synthetic llama2-7b --dtype q8_0 --q8-input floats
done
run --synthetic llama3-1b --dtype q8_0
run --synthetic llama3-1b --dtype q8_0 --q8-input floats
echo "=== sparse q8_0 $(date +%T)"; timeout 240 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5 --tokens 16 2>&1 | grep -E "prefill|^dense|^sparse" | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
