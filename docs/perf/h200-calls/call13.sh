#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 4 (final tree): the split attention kernel bounded to 1024 items
# (@MaxWorkGroupSize), the GPU default: selftest, dense at contexts 0 and 4000, the demo model's ids.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
f() { grep -E "^decode|^DeviceLlama|attendOneQuery|Exception|rror" | cut -c1-170; }
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -3
for ctx in 0 4000; do echo "=== --context $ctx"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 32 --context $ctx 2>&1 | f; done
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo on $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(tail -1 /tmp/err.txt)"
done
