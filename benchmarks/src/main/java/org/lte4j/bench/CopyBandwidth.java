package org.lte4j.bench;

import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;

/** Achieved bandwidth of a device copy of {@code bytes} bytes: the denominator of every bandwidth ratio. */
public final class CopyBandwidth {
    private CopyBandwidth() {
    }

    /** Bytes read plus written per second, median of {@code runs}. */
    public static double bytesPerSecond(Device device, long bytes, int runs) {
        int n = (int) (bytes / 4);
        try (FloatArray src = new FloatArray(n); FloatArray dst = new FloatArray(n)) {
            src.fill(1f);
            TaskGraph g = new TaskGraph("copy")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, src)
                    .task("copy", () -> CopyKernel.copy(src, dst, n));
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                double nanos = Timing.medianKernelNanos(plan, 3, runs);
                return 8.0 * n / (nanos * 1e-9);
            }
        }
    }
}
