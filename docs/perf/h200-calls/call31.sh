#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 1: prompt prefill with the four-row batch matmuls
# (BatchMatMul.matMul*FourRows) against the one-row ones (bundle/base: a6c0db8), alternating
# processes; selftest on cuda; the demo model's greedy ids after a long prompt, old and new.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
B="bash bundle/base/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|BatchMatMul" | tail -12
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
p="First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. First Citizen: You are all resolved rather to die than to famish? All: Resolved. resolved. First Citizen: First, you know Caius Marcius is chief enemy to the people."
for side in new base; do
  X=$R; [ $side = base ] && X=$B
  for d in cuda; do
    ids=$(timeout 120 $X generate --model "$m" --device $d --prompt "$p" --max-tokens 60 --print-ids 2>/tmp/err.txt | tail -1)
    echo "demo $side $d: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(grep -i "tokens/s" /tmp/err.txt | tail -1)"
  done
done
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill|copy" | cut -c1-200 | head -12; }
for i in 1 2; do
  for dt in f16 q8_0; do
    for side in B R; do
      [ $(( $(date +%s) - start )) -lt 470 ] && run $side llama2-7b $dt
    done
  done
done
for side in B R; do [ $(( $(date +%s) - start )) -lt 540 ] && run $side llama3-1b f16; done
echo "elapsed $(( $(date +%s) - start )) s"
