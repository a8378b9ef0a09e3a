#!/usr/bin/env bash
# Session 2026-11-30 GPU call 5: the final tree: selftest on CUDA, sparse fp16 and Q8_0 at 0.5, demo ids on CUDA and NVIDIA OpenCL.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
f() { grep -v "WARNING: Using incubator\|OpenJDK VM warning\|^\s*$\|kernels ms\|synthetic routers"; }
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
for t in f16 q8_0; do echo "=== $t"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype $t --sparsity 0.5,0.8 --tokens 32 2>&1 | f | tail -5; done
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo on $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids"
done
