#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 9: the four-row fp16 batch matmul reading each token's x as even
# and odd halves (TokenBatch.splitEvenOdd before it), so that neighbouring lanes load neighbouring
# floats, against 96d1a9e (bundle/base, x interleaved: two L1 wavefronts per load), alternating;
# then selftest on cuda and on NVIDIA OpenCL.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
B="bash bundle/base/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
run() { echo "=== $1 $2 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype f16 --tokens 8 2>&1 | grep -E "prefill of" | cut -c1-200; }
for i in 1 2; do run B llama2-7b; run R llama2-7b; done
run B llama3-1b; run R llama3-1b
for d in cuda opencl:1; do echo "=== selftest $d"; timeout 150 $R selftest --device $d 2>&1 | grep -E "FAIL|passed" | tail -4; done
echo "elapsed $(( $(date +%s) - start )) s"
