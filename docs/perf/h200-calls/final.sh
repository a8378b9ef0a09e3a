#!/usr/bin/env bash
# Final check of the build: dense decode (captured and direct), sparse fp16 and Q8_0 against dense, demo model on CUDA and NVIDIA OpenCL.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
f() { grep -v "WARNING: Using incubator\|OpenJDK VM warning\|^\s*$"; }
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
echo "=== dense f16"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 64 --json $OUT/h200-llama2-7b-f16-dense.json 2>&1 | f | tail -14
echo "=== sparse f16"; timeout 240 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0,0.3,0.5,0.7,0.8,0.9 --tokens 32 --plot $OUT/h200-llama2-7b-f16-sparsity.svg --json $OUT/h200-llama2-7b-f16-sparsity.json 2>&1 | f | tail -16
echo "=== sparse q8_0"; timeout 240 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 --json $OUT/h200-llama2-7b-q8_0-sparsity.json 2>&1 | f | tail -10
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo on $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -i "tokens/s" /tmp/err.txt | tail -1)"
done
