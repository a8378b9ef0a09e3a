#!/usr/bin/env bash
# The router's last work-group lists the active experts (no compaction launch): selftest, tiny LTE ids, fp16 and Q8_0 A/B.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
for d in cuda opencl:1; do echo "=== selftest $d"; timeout 120 $R selftest --device $d 2>&1 | grep -E "FAIL|passed" | tail -4; done
for t in F16 Q8_0; do for d in cuda opencl:1; do
  echo "$t $d: $(timeout 60 $R generate --model bundle/lte-$t.gguf --device $d --prompt-ids 1,17,42 --max-tokens 40 --print-ids 2>/dev/null | tail -1 | md5sum | cut -c1-12)"
done; done
PAIRS=2 timeout 300 bash bundle/ab.sh --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 | grep -v "kernels ms\|making"
PAIRS=1 timeout 150 bash bundle/ab.sh --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 | grep -v "kernels ms\|making"
