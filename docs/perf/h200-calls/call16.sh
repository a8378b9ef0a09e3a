#!/usr/bin/env bash
# Session 4 of 2026-11-30, call 1: selftest (the one-launch fp16 gate/up and down on CUDA and
# NVIDIA OpenCL), the demo model's greedy ids, then base (042de8a: gate/up, then down) and new
# (ExpertsPipelined) alternating on sparse fp16, then the new sweep.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
for d in cuda opencl:1; do
  echo "=== selftest $d"; timeout 150 $R selftest --device $d 2>&1 | grep -E "FAIL|passed|Pipelined" | tail -4
done
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "ROMEO:" --max-tokens 120 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo on $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -i "tokens/s\|sparsity" /tmp/err.txt | tail -2 | tr '\n' ' ')"
done
run() { echo "=== $1 $(date +%T)"; timeout 150 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -v "^\s*$" | grep -v "WARNING\|OpenJDK\|synthetic routers\|^x dense" | tail -16; }
for i in 1 2; do
  for v in bundle/base bundle; do
    [ $(( $(date +%s) - start )) -lt 420 ] && run $v
  done
done
[ $(( $(date +%s) - start )) -lt 470 ] && { echo "=== sweep"; timeout 110 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0,0.3,0.5,0.7,0.9 --tokens 32 --json /tmp/sweep.json 2>&1 | grep -v "^\s*$" | grep -v "WARNING\|OpenJDK" | tail -24; cp /tmp/sweep.json $OUT/ 2>/dev/null; }
echo "elapsed $(( $(date +%s) - start )) s"
