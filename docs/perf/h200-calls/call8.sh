#!/usr/bin/env bash
# Q8_0 down with its list and first words before the wait: selftest on CUDA, tiny Q8_0/F16 LTE ids, Q8_0 A/B (two pairs).
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
echo "=== selftest cuda"; timeout 150 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
for t in F16 Q8_0; do for d in cuda opencl:1; do
  echo "$t $d: $(timeout 100 $R generate --model bundle/lte-$t.gguf --device $d --prompt-ids 1,17,42 --max-tokens 40 --print-ids 2>/dev/null | tail -1 | md5sum | cut -c1-12)"
done; done
PAIRS=2 timeout 400 bash bundle/ab.sh --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32
