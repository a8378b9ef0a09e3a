#!/usr/bin/env bash
# Session 5 of 2026-11-30, call 5: the sparse Q8_0 FFN over int8 blocks with the router quantizing
# its weighted input (not the compaction): selftest; tiny Q8_0 LTE ids on cuda and jvm; sparse
# sweeps over int8 blocks (twice) and over floats, same jars.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== selftest cuda"; timeout 200 $R selftest --device cuda 2>&1 | grep -E "FAIL|passed" | tail -4
ids=$(timeout 120 $R generate --model bundle/lte-Q8_0.gguf --device cuda --prompt-ids 1,17,42 --max-tokens 40 --print-ids 2>/dev/null | tail -1)
echo "lte-Q8_0 cuda sparse: $ids"
run() { echo "=== $* $(date +%T)"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype q8_0 --sparsity 0.5,0.8 --tokens 32 "$@" 2>&1 | grep -E "^sparse|^dense|Q8_0 GEMV" | cut -c1-200; }
for q in int8 floats int8; do
  [ $(( $(date +%s) - start )) -lt 330 ] && run --q8-input $q
done
echo "elapsed $(( $(date +%s) - start )) s"
