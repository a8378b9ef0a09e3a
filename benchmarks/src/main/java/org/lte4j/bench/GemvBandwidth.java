package org.lte4j.bench;

import org.lte4j.kernels.MatVec;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.KernelContext;
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

    public record Result(int rows, int cols, int localSize, double nanos, double bytesPerSecond) {
        public long bytes() {
            return 2L * rows * cols + 4L * cols + 4L * rows;
        }
    }

    public static Result fp16(Device device, int rows, int cols, int localSize, int runs) {
        RandomArrays random = new RandomArrays(7);
        try (HalfArray w = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = new FloatArray(rows)) {
            KernelContext ctx = new KernelContext();
            Task gemv = Task.of("gemv-f16", () -> MatVec.gemvF16(ctx, w, x, y, rows, cols))
                    .withGrid(WorkerGrid.of(rows * localSize, localSize));
            TaskGraph g = new TaskGraph("gemv")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x)
                    .task(gemv);
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                double nanos = Timing.medianKernelNanos(plan, 3, runs);
                Result r = new Result(rows, cols, localSize, nanos, 0);
                return new Result(rows, cols, localSize, nanos, r.bytes() / (nanos * 1e-9));
            }
        }
    }
}
