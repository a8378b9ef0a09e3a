#!/usr/bin/env bash
# A/B: bundle/$BASE (the build before the change) against bundle (the new one), alternating.
base="bundle/${BASE:-base}"
args=("$@")
run() { echo "=== $1 $(date +%T)"; timeout 280 bash "$1/run-on-gpu.sh" org.lte4j.cli.Main bench "${args[@]}" 2>&1 | grep -v "^\s*$" | grep -v "WARNING\|OpenJDK\|synthetic routers\|^x dense" | tail -22; }
for i in $(seq 1 ${PAIRS:-2}); do run "$base"; run bundle; done
