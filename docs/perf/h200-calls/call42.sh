#!/usr/bin/env bash
# Session 7 of 2026-11-30, call 3: lte4j against its peers on the same GPU: scripts/peer_bench.py
# (Hugging Face generate eager and with CUDA graphs, PyTorch FFN blocks dense and LTE-sparse) and
# lte4j's own sparse bench (fp16), one after the other.
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
echo "=== peer_bench $(date +%T)"; timeout 420 python3 scripts/peer_bench.py --preset llama2-7b --tokens 32 --sparsity 0.5,0.8 --compile --json "$OUT/peer-llama2-7b.json" 2>&1 | grep -vE "Warning|warn\(" | tail -15
echo "=== lte4j $(date +%T)"; timeout 150 $R bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5,0.8 --tokens 32 2>&1 | grep -vE "WARNING|warning|prefill|kernels ms|^ *$" | tail -8 | cut -c1-200
echo "elapsed $(( $(date +%s) - start )) s"
