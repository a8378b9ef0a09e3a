#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 4: the LTE sparse Q8_0 FFN over int8 blocks (compaction quantizing
# the router's weighted input, gate/up and down over int8 blocks): selftest; tiny Q8_0 LTE ids on
# cuda against jvm; sparse sweeps over int8 blocks and over floats, same jars, alternating.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
for dev in cuda jvm; do
  for mode in "" --dense; do
    ids=$(timeout 120 $R generate --model bundle/lte-Q8_0.gguf --device $dev --prompt-ids 1,17,42 --max-tokens 40 --print-ids $mode 2>/tmp/err.txt | tail -1)
    echo "lte-Q8_0 $dev ${mode:-sparse}: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids: $ids"
  done
done
run() { echo "=== $* $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 "$@" 2>&1 | grep -E "^sparse|^dense|Q8_0 GEMV" | cut -c1-200; }
for i in 1 2; do
  for q in int8 floats; do
    [ $(( $(date +%s) - start )) -lt 380 ] && run --q8-input $q
  done
done
echo "elapsed $(( $(date +%s) - start )) s"
