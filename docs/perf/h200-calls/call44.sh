#!/usr/bin/env bash
# Session 7 of 2026-11-30, call 5: the session's final tree: selftest on cuda and NVIDIA OpenCL (the
# new ExpertsRowPerItem::downPartialsOfExpertsQ8_0 among them), the demo model's ids after a prompt
# on both, and the fp16 sparse bench once more.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
for d in cuda opencl:1; do echo "=== selftest $d"; timeout 200 $R selftest --device $d 2>&1 | grep -E "FAIL|passed|downPartialsOfExpertsQ8_0" | tail -4; done
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak."
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids --sparsity-report 2>/tmp/err.txt | tail -1)
  echo "demo $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -iE "sparsity" /tmp/err.txt | head -1)"
done
echo "elapsed $(( $(date +%s) - start )) s"
