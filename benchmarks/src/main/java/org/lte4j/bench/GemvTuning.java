package org.lte4j.bench;

import org.lte4j.kernels.GroupLimits;
import org.lte4j.kernels.GroupReduce;
import org.lte4j.kernels.MatVec;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * Developer tool: the packed-pair fp16 GEMVs (one row or four rows per work-group) over
 * work-group sizes and group counts, as ratios to the device copy, at LLaMA2-7B's FFN shapes.
 * Usage: GemvTuning [device] [adding] (adding: the residual-adding GEMVs at the output/down shapes).
 */
public final class GemvTuning {
    private GemvTuning() {
    }

    public static void main(String[] args) {
        Device device = Devices.select(args.length > 0 ? args[0] : "auto");
        double copy = CopyBandwidth.bytesPerSecond(device, 512L << 20, 30);
        System.out.printf("copy %.1f GB/s on %s%n", copy / 1e9, device.name());
        if (args.length > 1 && args[1].equals("adding")) {
            addingInto(device, copy);
            return;
        }
        rowsPerGroup(device, copy);
    }

    /**
     * The residual-adding GEMV at a decoder's output and down projection shapes (4096 rows) over
     * work-group sizes. A two-rows-per-group variant (twice the groups, four words per row in
     * flight) was measured here too and was slower at both shapes on the H200 (docs/PERF.md).
     */
    private static void addingInto(Device device, double copy) {
        for (int[] s : new int[][] {{4096, 4096}, {4096, 11008}}) {
            int rows = s[0];
            int cols = s[1];
            RandomArrays random = new RandomArrays(7);
            try (HalfArray halves = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = random.floats(rows)) {
                IntArray w = IntArray.wrap(halves.segment());
                KernelContext ctx = new KernelContext();
                for (int local : new int[] {128, 256, 512}) {
                  for (boolean fourWords : new boolean[] {false, true}) {
                    Task t = (fourWords
                            ? Task.of("4rows, 4 words", () -> fourWordsAddingInto(ctx, w, x, y, rows, cols))
                            : Task.of("4rows", () -> MatVec.gemvF16PairsFourRowsAddingInto(ctx, w, x, y, rows, cols)))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local));
                    TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x, y).task(t);
                    try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                        double nanos = Timing.medianKernelNanos(plan, 5, 50);
                        double bw = (2.0 * rows * cols + 4.0 * (2 * rows + cols)) / (nanos * 1e-9);
                        System.out.printf("%5d x %-5d %-14s L=%-3d %7.2f us %7.1f GB/s %.2f of copy%n",
                                rows, cols, t.name(), local, nanos / 1e3, bw / 1e9, bw / copy);
                    }
                  }
                }
            }
        }
    }

    /** {@link MatVec#gemvF16PairsFourRowsAddingInto} with four words of each row in flight per item (sixteen loads). */
    public static void fourWordsAddingInto(KernelContext ctx, IntArray w, FloatArray x, FloatArray acc, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = 4 * ctx.groupIdx;
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 2;
        if (r0 < rows) {
            long b0 = (long) r0 * words;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * words;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * words;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * words;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + 3 * size < words; j += 4 * size) {
                int k = j + size;
                int m = k + size;
                int n = m + size;
                int a0 = w.get(b0 + j);
                int a1 = w.get(b1 + j);
                int a2 = w.get(b2 + j);
                int a3 = w.get(b3 + j);
                int c0 = w.get(b0 + k);
                int c1 = w.get(b1 + k);
                int c2 = w.get(b2 + k);
                int c3 = w.get(b3 + k);
                int e0 = w.get(b0 + m);
                int e1 = w.get(b1 + m);
                int e2 = w.get(b2 + m);
                int e3 = w.get(b3 + m);
                int g0 = w.get(b0 + n);
                int g1 = w.get(b1 + n);
                int g2 = w.get(b2 + n);
                int g3 = w.get(b3 + n);
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                float x2 = x.get(2 * k);
                float x3 = x.get(2 * k + 1);
                float x4 = x.get(2 * m);
                float x5 = x.get(2 * m + 1);
                float x6 = x.get(2 * n);
                float x7 = x.get(2 * n + 1);
                s0 += halfPair(a0, x0, x1) + halfPair(c0, x2, x3) + halfPair(e0, x4, x5) + halfPair(g0, x6, x7);
                s1 += halfPair(a1, x0, x1) + halfPair(c1, x2, x3) + halfPair(e1, x4, x5) + halfPair(g1, x6, x7);
                s2 += halfPair(a2, x0, x1) + halfPair(c2, x2, x3) + halfPair(e2, x4, x5) + halfPair(g2, x6, x7);
                s3 += halfPair(a3, x0, x1) + halfPair(c3, x2, x3) + halfPair(e3, x4, x5) + halfPair(g3, x6, x7);
            }
            for (; j < words; j += size) {
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                s0 += halfPair(w.get(b0 + j), x0, x1);
                s1 += halfPair(w.get(b1 + j), x0, x1);
                s2 += halfPair(w.get(b2 + j), x0, x1);
                s3 += halfPair(w.get(b3 + j), x0, x1);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, r0 < rows);
        if (lid < 4 && r0 + lid < rows) {
            acc.set(r0 + lid, acc.get(r0 + lid) + scratch[lid * size]);
        }
    }

    /** MatVec's w0 * x0 + w1 * x1 of a packed fp16 pair (a copy: that one is package-private). */
    private static float halfPair(int word, float x0, float x1) {
        return Float.float16ToFloat((short) word) * x0 + Float.float16ToFloat((short) (word >>> 16)) * x1;
    }

    private static void rowsPerGroup(Device device, double copy) {
        for (int[] s : new int[][] {{11008, 4096}, {4096, 11008}}) {
            int rows = s[0];
            int cols = s[1];
            RandomArrays random = new RandomArrays(7);
            try (HalfArray halves = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = new FloatArray(rows)) {
                IntArray w = IntArray.wrap(halves.segment());
                KernelContext ctx = new KernelContext();
                for (int local : new int[] {64, 128, 256, 512}) {
                    for (int groups : new int[] {rows, rows / 2}) {
                        Task four = Task.of("four", () -> MatVec.gemvF16Pairs(ctx, w, x, y, rows, cols));
                        Task fourRows = Task.of("4rows", () -> MatVec.gemvF16PairsFourRows(ctx, w, x, y, rows, cols));
                        for (Task t : new Task[] {four, fourRows}) {
                            int g4 = t == fourRows ? (groups + 3) / 4 : groups;
                            if (t == fourRows && groups != rows) {
                                continue; // one group per four rows; no looping variant
                            }
                            TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x)
                                    .task(t.withGrid(WorkerGrid.of(g4 * local, local)));
                            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                                double nanos = Timing.medianKernelNanos(plan, 5, 50);
                                double bw = (2.0 * rows * cols + 4.0 * (rows + cols)) / (nanos * 1e-9);
                                System.out.printf("%5d x %-5d %-5s L=%-3d groups=%-5d %7.1f GB/s %.2f of copy%n",
                                        rows, cols, t.name(), local, groups, bw / 1e9, bw / copy);
                            }
                        }
                    }
                }
            }
        }
    }
}
