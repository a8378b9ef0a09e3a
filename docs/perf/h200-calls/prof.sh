#!/usr/bin/env bash
# ncu on the sparse 50% step (router, gate/up, down) and on the dense FFN kernels.
NCU=/usr/local/cuda-13.0/bin/ncu
secs=(--section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats --section MemoryWorkloadAnalysis)
$NCU --target-processes all -k regex:"normedGateUpSiluF16Pairs|downActiveF16|logitsFour" --launch-skip 330 --launch-count 3 "${secs[@]}" \
  bash bundle/run-on-gpu.sh org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --sparsity 0.5 --tokens 8 > $OUT/sparse.txt 2>&1
$NCU --target-processes all -k regex:"normedGateUpSiluF16|gemvF16PairsFourRowsAddingInto" --launch-skip 200 --launch-count 3 "${secs[@]}" \
  bash bundle/run-on-gpu.sh org.lte4j.cli.Main bench --synthetic llama2-7b --device cuda --dtype f16 --tokens 8 > $OUT/dense.txt 2>&1
for f in sparse dense; do echo "=== $f"; grep -E "^\s+[A-Za-z_0-9]+.*\(\d+, \d+, \d+\)|^  [A-Za-z].*\([0-9]+, 1, 1\)|Duration|DRAM Throughput|Memory Throughput|Achieved Occupancy|Theoretical Occupancy|Registers Per|Issue Slots Busy|Stall|Warp Cycles Per Issued|L2 Hit Rate|Mem Busy|Max Bandwidth|Block Limit" $OUT/$f.txt | head -120; done
