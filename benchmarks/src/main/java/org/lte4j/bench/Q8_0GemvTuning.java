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
 * Developer tool: the split-word Q8_0 GEMV ({@link MatVec#gemvQ8_0SplitWordsFourRows}) against
 * experimental variants at LLaMA2-7B's shapes, as ratios to the device copy, each checked against
 * the kernel it varies. The variants: bytes turned into floats by bit operations instead of the
 * int-to-float conversion (a quarter-rate instruction on NVIDIA GPUs: 16 a word of four weights),
 * and two words per row in flight instead of one.
 * Usage: Q8_0GemvTuning [device] [quick].
 */
public final class Q8_0GemvTuning {
    private Q8_0GemvTuning() {
    }

    public static void main(String[] args) {
        Device device = Devices.select(args.length > 0 ? args[0] : "auto");
        double copy = CopyBandwidth.bytesPerSecond(device, 512L << 20, 30);
        System.out.printf("copy %.1f GB/s on %s%n", copy / 1e9, device.name());
        boolean quick = args.length > 1 && args[1].equals("quick"); // a correctness pass at a small shape
        for (int[] s : quick ? new int[][] {{67, 4096}} : new int[][] {{4096, 4096}, {11008, 4096}, {4096, 11008}, {32000, 4096}}) {
            shape(device, copy, s[0], s[1]);
        }
    }

    private static void shape(Device device, double copy, int rows, int cols) {
        RandomArrays random = new RandomArrays(11);
        int words = rows * (cols / 4);
        try (IntArray quants = new IntArray(words); HalfArray scales = random.halves(rows * (cols / 32));
             FloatArray x = random.floats(cols); FloatArray want = new FloatArray(rows); FloatArray y = new FloatArray(rows)) {
            for (int i = 0; i < words; i++) {
                quants.set(i, random.nextInt(Integer.MAX_VALUE) * 2 + random.nextInt(2));
            }
            KernelContext ctx = new KernelContext();
            double bytes = 1.0 * rows * cols + 2.0 * rows * (cols / 32) + 4.0 * (rows + cols);
            for (int local : new int[] {128, 256, 512}) {
                WorkerGrid grid = WorkerGrid.of((rows + 3) / 4 * local, local);
                Task[] tasks = {
                    Task.of("split words", () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, x, want, rows, cols)),
                    Task.of("bit-cast bytes", () -> bitCastBytes(ctx, quants, scales, x, y, rows, cols)),
                    Task.of("two words in flight", () -> twoWordsInFlight(ctx, quants, scales, x, y, rows, cols, false)),
                    Task.of("four words in flight", () -> fourWordsInFlight(ctx, quants, scales, x, y, rows, cols)),
                };
                for (Task t : tasks) {
                    TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, quants, scales, x)
                            .task(t.withGrid(grid)).transferToHost(DataTransferMode.EVERY_EXECUTION, t == tasks[0] ? want : y);
                    try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                        double nanos = Timing.medianKernelNanos(plan, 5, 50);
                        plan.execute();
                        double bw = bytes / (nanos * 1e-9);
                        System.out.printf("%5d x %-5d %-20s L=%-3d %7.2f us %7.1f GB/s %.2f of copy  max |diff| %.2e%n",
                                rows, cols, t.name(), local, nanos / 1e3, bw / 1e9, bw / copy, t == tasks[0] ? 0 : maxDiff(want, y, rows));
                    }
                }
            }
        }
    }

    private static double maxDiff(FloatArray a, FloatArray b, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(a.get(i) - b.get(i)) / Math.max(1, Math.abs(a.get(i))));
        }
        return m;
    }

    /** Signed byte {@code k} of {@code word} from its bits: 2^23 + 128 + b has b + 128 as its low mantissa byte. */
    static float byteOf(int word, int k) {
        int biased = (word ^ 0x80808080) >>> (8 * k) & 0xff;
        return Float.intBitsToFloat(0x4b000000 | biased) - 8388736f;
    }

    /** {@link MatVec}'s quadDot with the bytes from {@link #byteOf}: the same values, the same sum. */
    static float quadDotBitCast(int word, float x0, float x1, float x2, float x3) {
        return byteOf(word, 0) * x0 + byteOf(word, 1) * x1 + byteOf(word, 2) * x2 + byteOf(word, 3) * x3;
    }

    /** {@link MatVec#gemvQ8_0SplitWordsFourRows} with {@link #quadDotBitCast}. */
    public static void bitCastBytes(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                    int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 4;
        int blocks = cols / 32;
        int r0 = ctx.groupIdx * 4;
        if (r0 < rows) {
            int r1 = Math.min(r0 + 1, rows - 1);
            int r2 = Math.min(r0 + 2, rows - 1);
            int r3 = Math.min(r0 + 3, rows - 1);
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int j = lid; j < words; j += size) {
                int q0 = quants.get((long) r0 * words + j);
                int q1 = quants.get((long) r1 * words + j);
                int q2 = quants.get((long) r2 * words + j);
                int q3 = quants.get((long) r3 * words + j);
                int block = j / 8;
                float x0 = x.get(4 * j);
                float x1 = x.get(4 * j + 1);
                float x2 = x.get(4 * j + 2);
                float x3 = x.get(4 * j + 3);
                s0 += scales.get((long) r0 * blocks + block) * quadDotBitCast(q0, x0, x1, x2, x3);
                s1 += scales.get((long) r1 * blocks + block) * quadDotBitCast(q1, x0, x1, x2, x3);
                s2 += scales.get((long) r2 * blocks + block) * quadDotBitCast(q2, x0, x1, x2, x3);
                s3 += scales.get((long) r3 * blocks + block) * quadDotBitCast(q3, x0, x1, x2, x3);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, r0 < rows);
        if (lid < 4 && r0 + lid < rows) {
            y.set(r0 + lid, scratch[lid * size]);
        }
    }

    /** Words j and j + L of each row per iteration: eight quant loads in flight per item. */
    public static void twoWordsInFlight(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                        int rows, int cols, boolean bitCast) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 4;
        int blocks = cols / 32;
        int r0 = ctx.groupIdx * 4;
        if (r0 < rows) {
            long b0 = (long) r0 * words;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * words;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * words;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * words;
            long c0 = b0 / 8;
            long c1 = b1 / 8;
            long c2 = b2 / 8;
            long c3 = b3 / 8;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + size < words; j += 2 * size) {
                int k = j + size;
                int q0 = quants.get(b0 + j);
                int q1 = quants.get(b1 + j);
                int q2 = quants.get(b2 + j);
                int q3 = quants.get(b3 + j);
                int p0 = quants.get(b0 + k);
                int p1 = quants.get(b1 + k);
                int p2 = quants.get(b2 + k);
                int p3 = quants.get(b3 + k);
                s0 += scales.get(c0 + j / 8) * dot(q0, x, j, bitCast) + scales.get(c0 + k / 8) * dot(p0, x, k, bitCast);
                s1 += scales.get(c1 + j / 8) * dot(q1, x, j, bitCast) + scales.get(c1 + k / 8) * dot(p1, x, k, bitCast);
                s2 += scales.get(c2 + j / 8) * dot(q2, x, j, bitCast) + scales.get(c2 + k / 8) * dot(p2, x, k, bitCast);
                s3 += scales.get(c3 + j / 8) * dot(q3, x, j, bitCast) + scales.get(c3 + k / 8) * dot(p3, x, k, bitCast);
            }
            for (; j < words; j += size) {
                s0 += scales.get(c0 + j / 8) * dot(quants.get(b0 + j), x, j, bitCast);
                s1 += scales.get(c1 + j / 8) * dot(quants.get(b1 + j), x, j, bitCast);
                s2 += scales.get(c2 + j / 8) * dot(quants.get(b2 + j), x, j, bitCast);
                s3 += scales.get(c3 + j / 8) * dot(quants.get(b3 + j), x, j, bitCast);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, r0 < rows);
        if (lid < 4 && r0 + lid < rows) {
            y.set(r0 + lid, scratch[lid * size]);
        }
    }

    /** Words j, j + L, j + 2L and j + 3L of each row per iteration: sixteen quant loads in flight per item. */
    public static void fourWordsInFlight(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                         int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 4;
        int r0 = ctx.groupIdx * 4;
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
                int q0 = quants.get(b0 + j);
                int q1 = quants.get(b1 + j);
                int q2 = quants.get(b2 + j);
                int q3 = quants.get(b3 + j);
                int p0 = quants.get(b0 + k);
                int p1 = quants.get(b1 + k);
                int p2 = quants.get(b2 + k);
                int p3 = quants.get(b3 + k);
                int u0 = quants.get(b0 + m);
                int u1 = quants.get(b1 + m);
                int u2 = quants.get(b2 + m);
                int u3 = quants.get(b3 + m);
                int v0 = quants.get(b0 + n);
                int v1 = quants.get(b1 + n);
                int v2 = quants.get(b2 + n);
                int v3 = quants.get(b3 + n);
                s0 += scaled(q0, scales, b0, x, j) + scaled(p0, scales, b0, x, k) + scaled(u0, scales, b0, x, m) + scaled(v0, scales, b0, x, n);
                s1 += scaled(q1, scales, b1, x, j) + scaled(p1, scales, b1, x, k) + scaled(u1, scales, b1, x, m) + scaled(v1, scales, b1, x, n);
                s2 += scaled(q2, scales, b2, x, j) + scaled(p2, scales, b2, x, k) + scaled(u2, scales, b2, x, m) + scaled(v2, scales, b2, x, n);
                s3 += scaled(q3, scales, b3, x, j) + scaled(p3, scales, b3, x, k) + scaled(u3, scales, b3, x, m) + scaled(v3, scales, b3, x, n);
            }
            for (; j < words; j += size) {
                s0 += scaled(quants.get(b0 + j), scales, b0, x, j);
                s1 += scaled(quants.get(b1 + j), scales, b1, x, j);
                s2 += scaled(quants.get(b2 + j), scales, b2, x, j);
                s3 += scaled(quants.get(b3 + j), scales, b3, x, j);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, r0 < rows);
        if (lid < 4 && r0 + lid < rows) {
            y.set(r0 + lid, scratch[lid * size]);
        }
    }

    /** Word j of the row whose words start at {@code rowWord}, times its block scale, dotted with x. */
    private static float scaled(int word, HalfArray scales, long rowWord, FloatArray x, int j) {
        return scales.get((rowWord + j) / 8) * dot(word, x, j, false);
    }

    private static float dot(int word, FloatArray x, int j, boolean bitCast) {
        float x0 = x.get(4 * j);
        float x1 = x.get(4 * j + 1);
        float x2 = x.get(4 * j + 2);
        float x3 = x.get(4 * j + 3);
        return bitCast ? quadDotBitCast(word, x0, x1, x2, x3)
                : (byte) word * x0 + (byte) (word >> 8) * x1 + (byte) (word >> 16) * x2 + (byte) (word >> 24) * x3;
    }
}
