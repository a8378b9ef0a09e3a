#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 2: the dense Q8_0 decode over int8 blocks of every GEMV input
# (QuantizedInputMatVec) against the float-input kernels, same jars, alternating processes;
# selftest; the tiny Q8_0 LTE model's greedy ids on cuda (int8 blocks) against the JVM path.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed|QuantizedInput" | tail -9
for dev in cuda jvm; do
  for mode in "" --dense; do
    ids=$(timeout 120 $R generate --model bundle/lte-Q8_0.gguf --device $dev --prompt-ids 1,17,42 --max-tokens 40 --print-ids $mode 2>/tmp/err.txt | tail -1)
    echo "lte-Q8_0 $dev ${mode:-sparse}: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids: $ids"
  done
done
run() { echo "=== $* $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --tokens 32 "$@" 2>&1 | grep -vE "WARNING|signal" | cut -c1-220 | tail -22; }
for i in 1 2; do
  for q in int8 floats; do
    [ $(( $(date +%s) - start )) -lt 400 ] && run --q8-input $q
  done
done
echo "elapsed $(( $(date +%s) - start )) s"
