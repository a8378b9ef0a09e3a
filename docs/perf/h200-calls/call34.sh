#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 4: the four-row batch matmuls loading every token's x values
# before the multiply-adds (bundle/v4), prefill lines; Nsight Compute on the fp16 and Q8_0 kernel
# over llama3-1b's gate matrix (8192 x 2048, the fifth matmul of the first batch).
V="bash bundle/v4/run-on-gpu.sh org.lte4j.cli.Main"
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill" | cut -c1-200 | head -3; }
run V llama2-7b f16
run V llama2-7b q8_0
NCU=/usr/local/cuda-13.0/bin/ncu
secs=(--section SpeedOfLight --section Occupancy --section WarpStateStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section SchedulerStats)
for dt in f16 q8_0; do
  timeout 150 $NCU --target-processes all -k regex:"matMul.*FourRows" --launch-skip 4 --launch-count 1 "${secs[@]}" \
    $V bench --synthetic llama3-1b --device cuda --dtype $dt --tokens 4 > $OUT/ncu4-$dt.txt 2>&1
  echo "=== ncu $dt"; grep -E "matMul.*\(|Duration|Registers Per|Warp Cycles Per Issued|L1/TEX Hit|Achieved Occupancy|Executed Ipc A|Eligible Warps|Issued Warp" $OUT/ncu4-$dt.txt | head -14
  grep -A3 "Est. Local Speedup" $OUT/ncu4-$dt.txt | grep -i "stall" | head -3
done
