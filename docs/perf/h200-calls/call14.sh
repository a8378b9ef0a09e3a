#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 5: the demo model's greedy ids on CUDA and NVIDIA OpenCL (split attention in groups of 512 there).
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  for mode in "" --dense; do
    ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids $mode 2>/tmp/err.txt | tail -1)
    echo "demo on $d ${mode:-sparse}: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -v FFN /tmp/err.txt | tail -1 | cut -c1-200)"
  done
done
echo "=== opencl:1 selftest"; timeout 150 $R selftest --device opencl:1 2>&1 | grep -E "FAIL|passed" | tail -3
