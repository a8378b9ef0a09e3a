#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 6: the committed four-row prefill (ae4bde3): selftest on cuda,
# the demo model's greedy ids after a 60-character prompt on cuda and NVIDIA OpenCL (the JVM and
# PoCL give 6efb31aa2c3e), prefill lines for llama2-7b and llama3-1b; bundle/v6 tries the fp16
# kernel with two neighbouring words of each row per lane (x first, as the committed one).
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
B="bash bundle/base/run-on-gpu.sh org.lte4j.cli.Main"
V6="bash bundle/v6/run-on-gpu.sh org.lte4j.cli.Main"
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|BatchMatMul" | tail -12
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak."
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -iE "tokens/s|error" /tmp/err.txt | tail -1)"
done
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill of|copy|^ *(dense|captured)" | cut -c1-200 | head -4; }
run R llama2-7b f16
run V6 llama2-7b f16
run R llama2-7b q8_0
run R llama3-1b f16
run R llama3-1b q8_0
run B llama3-1b q8_0
