#!/usr/bin/env bash
# Session 7 of 2026-11-30, call 1: (a) a CUDA C prototype: the sparse fp16 gate/up and down as the
# decoder's two generated kernels (dependent launch) against one persistent kernel adding its down
# sums into the residual by atomics, and what G x 4096 atomic adds cost; (b) the demo LTE model's
# ids after a 60-character prompt, now batched on devices (F32 LTE), on cuda and opencl:1;
# (c) selftest on cuda.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== proto"; timeout 200 bundle/proto/proto
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak."
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids --sparsity-report 2>/tmp/err.txt | tail -1)
  echo "demo $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -iE "sparsity|tokens/s|error" /tmp/err.txt | head -3 | tr '\n' ' ')"
done
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
echo "elapsed $(( $(date +%s) - start )) s"
