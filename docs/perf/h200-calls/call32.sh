#!/usr/bin/env bash
# Session 6 of 2026-11-30, call 2: why the fp16 four-row batch matmul is slower than the Q8_0 one
# (Nsight Compute on both, llama3-1b prefill), and a variant (bundle/v2: two neighbouring words of
# each row per lane, four x values per token as the Q8_0 kernel reads them).
R="bash bundle/run-on-gpu.sh org.lte4j.cli.Main"
V="bash bundle/v2/run-on-gpu.sh org.lte4j.cli.Main"
start=$(date +%s)
run() { echo "=== $1 $2 $3 $(date +%T)"; timeout 200 ${!1} bench --synthetic $2 --device cuda --dtype $3 --tokens 8 2>&1 | grep -E "prefill" | cut -c1-200 | head -3; }
run V llama2-7b f16
run V llama3-1b f16
NCU=/usr/local/cuda-13.0/bin/ncu
secs=(--section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section InstructionStats)
for dt in f16 q8_0; do
  timeout 150 $NCU --target-processes all -k regex:"matMul.*FourRows" --launch-skip 8 --launch-count 1 "${secs[@]}" \
    $R bench --synthetic llama3-1b --device cuda --dtype $dt --tokens 4 > $OUT/ncu-$dt.txt 2>&1
  echo "=== ncu $dt"; grep -E "matMul|Duration|Throughput|Occupancy|Registers Per|Issue Slots Busy|Stall|Warp Cycles Per Issued|L1/TEX Hit|L2 Hit Rate|Mem Busy|Executed Ipc|Block Limit|One or More|No Eligible" $OUT/ncu-$dt.txt | head -40
done
echo "elapsed $(( $(date +%s) - start )) s"
