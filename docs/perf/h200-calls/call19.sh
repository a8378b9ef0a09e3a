#!/usr/bin/env bash
# Session 4 of 2026-11-30, call 4: what routing (router + compaction) costs inside the captured
# step: the sparse bench's "in step" column (the step with every layer routing twice, less the
# step), fp16 and Q8_0 at 50% and 80%.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
for dt in f16 q8_0; do
  echo "=== $dt"; timeout 200 $R bench --synthetic llama2-7b --device cuda --dtype $dt --sparsity 0.5,0.8 --tokens 32 --json /tmp/$dt.json 2>&1 | grep -E "^path|^sparse|^dense" | cut -c1-150
  cp /tmp/$dt.json $OUT/ 2>/dev/null
done
echo "elapsed $(( $(date +%s) - start )) s"
