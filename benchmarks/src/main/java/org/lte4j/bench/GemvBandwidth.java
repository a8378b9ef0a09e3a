package org.lte4j.bench;

import org.lte4j.kernels.MatVec;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The fp16 GEMV of a weight matrix already on the device: bytes moved are the weights
 * (2 * rows * cols) plus x and y; achieved bandwidth is those bytes over the median kernel time.
 */
public final class GemvBandwidth {
    private GemvBandwidth() {
    }

    /** How the kernel reads the fp16 weights. */
    public enum Loads {
        /** MatVec.gemvF16: one fp16 per load. */
        ONE_HALF,
        /** MatVec.gemvF16Pairs: two fp16 per 32-bit load, four loads in flight. */
        HALF_PAIRS,
        /** MatVec.gemvF16PairsFourRows: as HALF_PAIRS, four rows per group sharing each x load. */
        HALF_PAIRS_FOUR_ROWS
    }

    public record Result(Loads loads, int rows, int cols, int localSize, double nanos) {
        public long bytes() {
            return 2L * rows * cols + 4L * cols + 4L * rows;
        }

        public double bytesPerSecond() {
            return bytes() / (nanos * 1e-9);
        }
    }

    public static Result fp16(Device device, Loads loads, int rows, int cols, int localSize, int runs) {
        RandomArrays random = new RandomArrays(7);
        try (HalfArray halves = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = new FloatArray(rows)) {
            KernelContext ctx = new KernelContext();
            IntArray words = IntArray.wrap(halves.segment());
            NativeArray w = loads == Loads.ONE_HALF ? halves : words;
            Task gemv = switch (loads) {
                case ONE_HALF -> Task.of("gemv-f16", () -> MatVec.gemvF16(ctx, halves, x, y, rows, cols));
                case HALF_PAIRS -> Task.of("gemv-f16-pairs", () -> MatVec.gemvF16Pairs(ctx, words, x, y, rows, cols));
                case HALF_PAIRS_FOUR_ROWS -> Task.of("gemv-f16-pairs-4rows", () -> MatVec.gemvF16PairsFourRows(ctx, words, x, y, rows, cols));
            };
            int groups = loads == Loads.HALF_PAIRS_FOUR_ROWS ? (rows + 3) / 4 : rows;
            TaskGraph g = new TaskGraph("gemv")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x)
                    .task(gemv.withGrid(WorkerGrid.of(groups * localSize, localSize)));
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                return new Result(loads, rows, cols, localSize, Timing.medianKernelNanos(plan, 3, runs));
            }
        }
    }
}
