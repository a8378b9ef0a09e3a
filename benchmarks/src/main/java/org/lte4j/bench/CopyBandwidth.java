package org.lte4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
 * {@link MemorySegment#copy} counts too (on the 2-core development machine it reached 62-77 GB/s
 * where the copy kernels reached 25-30 GB/s, and F32 decode read faster than the kernels copied).
 */
public final class CopyBandwidth {
    /**
     * The least a host copy moves: copies of 64 MiB measured 32-60 GB/s on the 2-core development
     * machine where 256 and 512 MiB measured 62-77 (the same process, either order), so the
     * smaller copy would understate the machine and flatter every ratio.
     */
    static final long HOST_COPY_BYTES = 256L << 20;

    private CopyBandwidth() {
    }

    /** Bytes read plus written per second of the fastest copy: each kernel by its median of {@code runs}, the host copy by its best. */
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
                best = Math.max(best, hostCopyBytesPerSecond(Math.max(bytes, HOST_COPY_BYTES), Math.max(runs, 10)));
            }
            return best;
        }
    }

    /** What {@link #bytesPerSecond} copies on {@code device}, for a report line. */
    public static String describe(Device device, long bytes) {
        return runsInHostMemory(device)
                ? String.format("read+write; copy kernels on %d MiB, MemorySegment.copy on %d MiB", bytes >> 20, Math.max(bytes, HOST_COPY_BYTES) >> 20)
                : String.format("read+write of %d MiB", bytes >> 20);
    }

    /** The JVM backend and OpenCL CPU devices (PoCL) work in host RAM. */
    public static boolean runsInHostMemory(Device device) {
        return device.kind() == BackendKind.JVM
                || device instanceof OpenClDevice o && o.info().type() == OpenClDeviceInfo.Type.CPU;
    }

    /**
     * Bytes read plus written per second of a copy of {@code bytes} in one slice per core, the
     * best of {@code runs} after one untimed copy (which maps the destination's pages). The best,
     * not the median: on a shared host the copy varies with the neighbours' load (44-75 GB/s in
     * five bench processes on the development machine), and the yardstick should be what the
     * machine can do, so that a decode run in a quiet moment is not measured against a noisy one.
     */
    static double hostCopyBytesPerSecond(long bytes, int runs) {
        try (HostCopy copy = new HostCopy(bytes)) {
            return copy.bytesPerSecond(runs);
        }
    }

    /**
     * Two host buffers of {@link #HOST_COPY_BYTES} and a copy between them on every core, kept
     * so that a benchmark can copy again between its timed passes and compare each pass with a
     * copy made under the same load.
     */
    public static final class HostCopy implements AutoCloseable {
        private static final VectorSpecies<Float> READ_SPECIES = FloatVector.SPECIES_PREFERRED;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment src;
        private final MemorySegment dst;

        public HostCopy() {
            this(HOST_COPY_BYTES);
        }

        /** Buffers of {@code bytes} each. */
        public HostCopy(long bytes) {
            src = arena.allocate(bytes, 4096);
            dst = arena.allocate(bytes, 4096);
            src.fill((byte) 1);
        }

        /** Bytes read plus written per second: the best of {@code runs} copies after an untimed one. */
        public double bytesPerSecond(int runs) {
            int threads = Runtime.getRuntime().availableProcessors();
            long slice = src.byteSize() / threads;
            return bestRate(runs, 2.0 * src.byteSize(), () -> IntStream.range(0, threads).parallel()
                    .forEach(t -> MemorySegment.copy(src, t * slice, dst, t * slice, t == threads - 1 ? src.byteSize() - t * slice : slice)));
        }

        /**
         * Bytes read per second by a loop that only reads: the source buffer summed on every core,
         * four streams per core (a quarter of its slice each, one vector add per load and nothing
         * else); the best of {@code runs} after an untimed one. A decode reads its weights and
         * also computes, so its rate can at best approach this one: on the 2-core development
         * machine it reached 0.63-0.81 of the copy (docs/PERF.md).
         */
        public double readOnlyBytesPerSecond(int runs) {
            int threads = Runtime.getRuntime().availableProcessors();
            long slice = src.byteSize() / threads;
            return bestRate(runs, threads * slice, () -> {
                double sum = IntStream.range(0, threads).parallel().mapToDouble(t -> sumFourStreams(src, t * slice, slice)).sum();
                if (Double.isNaN(sum)) {
                    throw new AssertionError("a buffer of ones summed to NaN"); // and the sum stays alive
                }
            });
        }

        /** {@code bytes} per second of the fastest of {@code runs} timed passes, after an untimed one. */
        private static double bestRate(int runs, double bytes, Runnable pass) {
            double best = 0;
            for (int r = -1; r < runs; r++) {
                long start = System.nanoTime();
                pass.run();
                if (r >= 0) {
                    best = Math.max(best, bytes / ((System.nanoTime() - start) * 1e-9));
                }
            }
            return best;
        }

        /** The floats of {@code [offset, offset + length)}, summed as four interleaved streams over its quarters. */
        private static double sumFourStreams(MemorySegment m, long offset, long length) {
            FloatVector a0 = FloatVector.zero(READ_SPECIES);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            long step = READ_SPECIES.vectorByteSize();
            long quarter = length / 4 / step * step;
            for (long o = offset; o < offset + quarter; o += step) {
                a0 = FloatVector.fromMemorySegment(READ_SPECIES, m, o, ByteOrder.nativeOrder()).add(a0);
                a1 = FloatVector.fromMemorySegment(READ_SPECIES, m, o + quarter, ByteOrder.nativeOrder()).add(a1);
                a2 = FloatVector.fromMemorySegment(READ_SPECIES, m, o + 2 * quarter, ByteOrder.nativeOrder()).add(a2);
                a3 = FloatVector.fromMemorySegment(READ_SPECIES, m, o + 3 * quarter, ByteOrder.nativeOrder()).add(a3);
            }
            return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        }

        @Override
        public void close() {
            arena.close();
        }
    }
}
