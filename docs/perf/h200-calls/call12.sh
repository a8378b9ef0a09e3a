#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 3 (final tree): selftest; one group per head against the split
# kernel (now the GPU default) at context 0 twice and at 4000 once; sparse fp16 and Q8_0; the demo
# model's greedy ids on CUDA and NVIDIA OpenCL; sparse fp16 deep into a context.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
f() { grep -E "^decode|^DeviceLlama|attendOneQuery|^sparse|^dense|Exception|rror" | cut -c1-170; }
start=$(date +%s)
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -3
for i in 1 2; do # lanes: 1024 items a group; split: 512
  for att in lanes-per-position split-positions; do
    echo "=== --attention $att --context 0"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 64 --attention $att 2>&1 | f
  done
done
echo "=== default --context 4000"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 32 --context 4000 2>&1 | f
echo "=== sparse f16"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | f
echo "=== sparse q8_0"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 2>&1 | f
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo on $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -i "tokens/s" /tmp/err.txt | tail -1)"
done
[ $(( $(date +%s) - start )) -lt 420 ] && { echo "=== sparse f16 --context 4000"; timeout 170 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 --context 4000 2>&1 | f; }
echo "elapsed $(( $(date +%s) - start )) s"
