#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 7: LTE models prefill in batches (dae3656): selftest on cuda; the
# tiny LTE test models' greedy ids (cuda, opencl:1) after a prompt of two batches; the llama2-7b
# sparse bench at 50% with its prefill line (fp16, Q8_0); the dense Q8_0 prefill again.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|TokenBatch::(silu|count)" | tail -6
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak."
for d in cuda opencl:1; do
  ids=$(timeout 120 $R generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids 2>/tmp/err.txt | tail -1)
  echo "demo $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -iE "tokens/s|error" /tmp/err.txt | tail -1)"
done
for dt in f16 q8_0; do
  echo "=== sparse $dt $(date +%T)"; timeout 240 $R bench --synthetic llama2-7b --device cuda --dtype $dt --sparsity 0.5 --tokens 16 2>&1 | grep -E "prefill|^dense|^sparse|copy" | cut -c1-200
done
echo "=== dense q8_0 $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --tokens 8 2>&1 | grep -E "prefill of" | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
