package org.lte4j.bench;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.IntStream;

import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.opencl.OpenClDevice;
import org.lte4j.runtime.backend.opencl.OpenClDeviceInfo;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Achieved bandwidth of a device copy: the denominator of every bandwidth ratio. Both copy
 * kernels run and the faster one counts, so a ratio is never flattered by a weak copy; on devices
 * whose memory is this machine's RAM (the JVM backend, CPU OpenCL), a copy on every core with
 * {@link MemorySegment#copy} counts too (on the 2-core development machine it reached 45-54 GB/s
 * where the copy kernels reached 25-30 GB/s, and F32 decode read faster than the kernels copied).
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
            if (runsInHostMemory(device)) {
                best = Math.max(best, hostCopyBytesPerSecond(src.segment(), dst.segment(), runs));
            }
            return best;
        }
    }

    /** The JVM backend and OpenCL CPU devices (PoCL) work in host RAM. */
    static boolean runsInHostMemory(Device device) {
        return device.kind() == BackendKind.JVM
                || device instanceof OpenClDevice o && o.info().type() == OpenClDeviceInfo.Type.CPU;
    }

    /** Bytes read plus written per second of {@code src} copied to {@code dst} in one slice per core, median of {@code runs}. */
    static double hostCopyBytesPerSecond(MemorySegment src, MemorySegment dst, int runs) {
        int threads = Runtime.getRuntime().availableProcessors();
        long slice = src.byteSize() / threads;
        double[] rates = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            IntStream.range(0, threads).parallel()
                    .forEach(t -> MemorySegment.copy(src, t * slice, dst, t * slice, t == threads - 1 ? src.byteSize() - t * slice : slice));
            rates[r] = 2.0 * src.byteSize() / ((System.nanoTime() - start) * 1e-9);
        }
        Arrays.sort(rates);
        return rates[runs / 2];
    }
}
