#!/usr/bin/env bash
# Session 3 of 2026-11-30, call 6: the split attention kernel with its run's value rows prefetched
# into L2 before the keys are read (bundle) against without (bundle/base), 4000 cached positions.
f() { grep -E "^DeviceLlama|attendOneQuery|Exception|rror" | cut -c1-170; }
for b in bundle/base bundle; do echo "=== $b"; timeout 140 bash $b/run-on-gpu.sh org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 32 --context 4000 2>&1 | f; done
