#!/usr/bin/env bash
# End-to-end check of the new fp16 path: greedy ids of tiny F16 and Q8_0 LTE models (llama_gqa test
# model, moefied) on CUDA and NVIDIA OpenCL, against the JVM's (0c463d2fd859 F16, 60dc85ee09f2 Q8_0,
# computed on the development machine); then the demo model's ids, base and new.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
for t in F16 Q8_0; do
  for d in cuda opencl:1 jvm; do
    echo "$t $d: $(timeout 100 $R generate --model bundle/lte-$t.gguf --device $d --prompt-ids 1,17,42 --max-tokens 40 --print-ids 2>/tmp/err.txt | tail -1 | md5sum | cut -c1-12) $(grep -o 'sparsity[^,]*' /tmp/err.txt | head -1)"
  done
done
timeout 200 bash bundle/same-ids.sh
