package org.lte4j.bench;

import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Achieved bandwidth of a device copy: the denominator of every bandwidth ratio. Both copy
 * kernels run and the faster one counts, so a ratio is never flattered by a weak copy.
 */
public final class CopyBandwidth {
    private CopyBandwidth() {
    }

    /** Bytes read plus written per second of the faster copy kernel, median of {@code runs}. */
    public static double bytesPerSecond(Device device, long bytes, int runs) {
        int groups = 1024;
        int local = 256;
        int chunk = 4 * groups * local;
        int n = (int) (bytes / 4 / chunk * chunk);
        try (FloatArray src = new FloatArray(n); FloatArray dst = new FloatArray(n)) {
            src.fill(1f);
            KernelContext ctx = new KernelContext();
            Task simple = Task.of("copy", () -> CopyKernel.copy(src, dst, n));
            Task fourInFlight = Task.of("copy-4", () -> CopyKernel.copyFourInFlight(ctx, src, dst, n))
                    .withGrid(WorkerGrid.of(groups * local, local));
            double best = 0;
            for (Task t : new Task[] {simple, fourInFlight}) {
                TaskGraph g = new TaskGraph("copy").transferToDevice(DataTransferMode.FIRST_EXECUTION, src).task(t);
                try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                    best = Math.max(best, 8.0 * n / (Timing.medianKernelNanos(plan, 3, runs) * 1e-9));
                }
            }
            return best;
        }
    }
}
