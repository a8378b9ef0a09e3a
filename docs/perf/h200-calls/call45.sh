#!/usr/bin/env bash
# Session 8 of 2026-11-30, call 1: the session's tree on the H200. The kernel cache keys now
# cover the compiler's class files, OpenCL fp16 reads take F16C on x86 only (NVIDIA's OpenCL must
# keep vload_half), and the decode RoPE kernel runs an item per frequency: selftest on cuda and
# NVIDIA OpenCL, the demo model's ids after a prompt on both (the JVM's: 6efb31aa2c3e, 76.0%; the
# demo model is F32, whose layers run unfused, so through the new RoPE kernel), and the fp16
# llama2-7b dense decode once.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
for d in cuda opencl:1; do echo "=== selftest $d"; timeout 200 $R selftest --device $d 2>&1 | grep -E "FAIL|passed|Rope::rotateQueryAndKey|copyRowsF16" | tail -5; done
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak."
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids --sparsity-report 2>/tmp/err.txt | tail -1)
  echo "demo $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -iE "sparsity" /tmp/err.txt | head -1)"
done
echo "=== fp16 llama2-7b dense decode"
timeout 240 $R bench --synthetic llama2-7b --dtype f16 --device cuda --tokens 64 2>&1 | grep -E "^device copy|^DeviceLlama|captured|host" | head -6
echo "elapsed $(( $(date +%s) - start )) s"
