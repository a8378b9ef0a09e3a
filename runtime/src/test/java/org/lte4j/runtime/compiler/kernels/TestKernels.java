package org.lte4j.runtime.compiler.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.MaxWorkGroupSize;
import org.lte4j.runtime.api.PackedBytes;
import org.lte4j.runtime.api.Parallel;

/** Kernels exercising the compiler's Java subset; each runs unchanged on the JVM as the reference. */
public final class TestKernels {
    private TestKernels() {
    }

    /** Integer, long, float and double arithmetic, shifts, narrowing and float-to-int casts. */
    public static void arithmetic(IntArray in, IntArray iout, FloatArray fout, int n, int shift, long seed) {
        for (@Parallel int i = 0; i < n; i++) {
            int x = in.get(i);
            int hash = x * 0x9E3779B1 + 12345;              // wraps
            int sh = (x << shift) ^ (x >> 3) ^ (x >>> (shift + 29)); // counts >= 32 are masked
            long l = (long) x * seed + (seed >>> 7) - (seed >> 60);
            int div = x / 7 + x % 5 + (x != 0 ? 1000 / x : 0);
            byte b = (byte) x;
            char c = (char) (x * 3);
            short s = (short) (x * 1001);
            float f = (x & 0xffff) * 0.25f - 11.5f;            // exact, so an fma contraction cannot change it
            double d = (double) x / 3.0 + 0.25;
            float big = x * 3.0e8f;                           // saturates when cast to int
            float nan = x % 3 == 0 ? Float.NaN : x * 0.37f;  // no add: the device may contract a*b+c into an fma
            iout.set(i * 8L, hash);
            iout.set(i * 8L + 1, sh);
            iout.set(i * 8L + 2, (int) (l ^ (l >>> 32)));
            iout.set(i * 8L + 3, div);
            iout.set(i * 8L + 4, b + c + s);
            iout.set(i * 8L + 5, (int) big);
            iout.set(i * 8L + 6, (int) nan + (int) (long) (d * 1e12));
            iout.set(i * 8L + 7, -x % 4 + (-x >> 1));
            fout.set(i * 4L, f * f - f / 3.0f);
            fout.set(i * 4L + 1, (float) (d * d));
            fout.set(i * 4L + 2, f % 2.5f);
            fout.set(i * 4L + 3, (float) l);
        }
    }

    /** Loops with break and continue, a switch, a ternary, comparisons of NaN. */
    public static void controlFlow(IntArray in, IntArray out, FloatArray values, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            int x = in.get(i);
            int acc = 0;
            for (int k = 0; k < 100; k++) {
                if (k % 3 == 0) {
                    continue;
                }
                if (acc > x) {
                    break;
                }
                acc += k;
            }
            int kind;
            switch (x & 7) {
                case 0 -> kind = 10;
                case 1, 2 -> kind = 20;
                case 5 -> kind = 50;
                default -> kind = -1;
            }
            int sparse = switch (x) {
                case 3 -> 1;
                case 100 -> 2;
                case 1000 -> 3;
                default -> 0;
            };
            float v = values.get(i);
            int cmp = (v < 0.5f ? 1 : 0) | (v >= 0.5f ? 2 : 0) | (v == v ? 4 : 0) | (!(v > 1.0f) ? 8 : 0)
                    | (Float.isNaN(v) ? 16 : 0) | (Math.max(v, 0.25f) > 0.3f ? 32 : 0);
            out.set(i * 5L, acc);
            out.set(i * 5L + 1, kind);
            out.set(i * 5L + 2, x > 50 ? x - 50 : 50 - x);
            out.set(i * 5L + 3, cmp);
            out.set(i * 5L + 4, sparse);
        }
    }

    /** Two nested @Parallel loops (dimensions 0 and 1) over a matrix product with a sequential inner loop. */
    public static void matmul(FloatArray a, FloatArray b, FloatArray c, int rows, int cols, int inner) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int col = 0; col < cols; col++) {
                float sum = 0f;
                for (int k = 0; k < inner; k++) {
                    sum += a.get((long) r * inner + k) * b.get((long) k * cols + col);
                }
                c.set((long) r * cols + col, sum);
            }
        }
    }

    /** A @Parallel loop with a non-unit start and step, a boolean parameter and an assert (compiled out). */
    public static void strided(FloatArray x, int n, boolean twice) {
        assert n >= 0 : "negative length";
        for (@Parallel int i = 3; i < n; i += 2) {
            x.set(i, x.get(i) * (twice ? 2f : 3f) + i);
        }
    }

    /** Calls to helpers in this class and in another, with a private array passed to a helper. */
    public static void calls(FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float[] window = new float[4];
            for (int k = 0; k < window.length; k++) {
                window[k] = x.get(Math.min(n - 1, i + k));
            }
            y.set(i, MathHelpers.dot4(window, window) + square(x.get(i)) + MathHelpers.clampedSilu(x.get(i), 3.0f));
        }
    }

    private static float square(float v) {
        return v * v;
    }

    /** Private arrays: a small histogram and a prefix sum. */
    public static void privateArrays(IntArray in, IntArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            int[] hist = new int[8];
            long[] prefix = new long[8];
            for (int k = 0; k < 16; k++) {
                hist[(in.get(i) + k * k) & 7]++;
            }
            long run = 0;
            for (int k = 0; k < hist.length; k++) {
                run += hist[k] * (long) (k + 1);
                prefix[k] = run;
            }
            out.set(i, (int) prefix[7] + hist[in.get(i) & 7]);
        }
    }

    /** Math functions in float (narrowed immediately) and double precision. */
    public static void math(FloatArray x, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            float a = Math.abs(v) + 0.5f;
            out.set(i * 16L, (float) Math.sqrt(a));
            out.set(i * 16L + 1, (float) Math.exp(v * 0.5f));
            out.set(i * 16L + 2, (float) Math.log(a));
            out.set(i * 16L + 3, (float) Math.pow(a, 1.7));
            out.set(i * 16L + 4, Math.min(v, 0.1f) + Math.max(v, -0.1f));
            out.set(i * 16L + 5, (float) (Math.sin(v) + Math.cos(v)));
            out.set(i * 16L + 6, (float) Math.tanh(v));
            out.set(i * 16L + 7, Math.fma(v, 1.5f, 0.25f));
            out.set(i * 16L + 8, (float) (Math.floor(v * 3) + Math.ceil(v * 3)));
            out.set(i * 16L + 9, Math.round(v * 10.0f));
            out.set(i * 16L + 10, Math.signum(v) * Integer.max(3, i % 7) + Integer.min(i, 2));
            double d = Math.exp((double) v) * Math.sqrt(a + 1.0); // stays double
            out.set(i * 16L + 11, (float) d);
            out.set(i * 16L + 12, (float) Math.atan2(v, 0.5) + (float) Math.hypot(v, 2.0));
            out.set(i * 16L + 13, (float) (1.0 / (1.0 + Math.exp(-v))));
            out.set(i * 16L + 14, Math.abs(-i) + (float) Math.abs((double) v));
            out.set(i * 16L + 15, (float) Math.log10(a) + (float) Math.cbrt(v));
        }
    }

    /** {@code out[i] = dot of the signed bytes of a[i] and b[i]}, plus the same with a's bytes negated through the int. */
    public static void packedByteDots(IntArray a, IntArray b, IntArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            int x = a.get(i);
            out.set(2 * i, PackedBytes.dot(x, b.get(i)));
            out.set(2 * i + 1, PackedBytes.dot(b.get(i), x ^ 0x80808080) + 7);
        }
    }

    /** fp16 storage and bit conversions. */
    public static void halves(HalfArray h, FloatArray f, HalfArray hout, IntArray bits, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = h.get(i);
            float w = f.get(i);
            f.set(i, v * 2f);
            hout.set(i, w);                                   // rounds to nearest even
            short hb = Float.floatToFloat16(w);
            bits.set(i * 4L, hb);
            bits.set(i * 4L + 1, Float.floatToRawIntBits(Float.float16ToFloat(hb)));
            bits.set(i * 4L + 2, Float.floatToRawIntBits(w) >>> 9);
            bits.set(i * 4L + 3, h.getRaw(i) + Float.floatToRawIntBits(Float.intBitsToFloat(i << 20)));
        }
    }

    /**
     * Every fp16 bit pattern {@code i < n} to float bits, two ways: {@code out[2i]} through
     * {@code Float.float16ToFloat}, {@code out[2i + 1]} through {@code ByteArray.getHalf} of the
     * little-endian pattern stored at the odd offset {@code 1 + 2i} of {@code bytes}.
     */
    public static void everyHalf(ByteArray bytes, IntArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(2L * i, Float.floatToRawIntBits(Float.float16ToFloat((short) i)));
            out.set(2L * i + 1, Float.floatToRawIntBits(bytes.getHalf(1 + 2L * i)));
        }
    }

    /** A Q8_0-style block dot: per 34-byte block an fp16 scale at an even or odd byte offset, then 32 signed bytes. */
    public static void bytes(ByteArray q, FloatArray x, FloatArray out, int blocks, int base) {
        for (@Parallel int blk = 0; blk < blocks; blk++) {
            long off = base + (long) blk * 34;
            float scale = q.getHalf(off);
            float sum = 0f;
            for (int k = 0; k < 32; k++) {
                sum += q.get(off + 2 + k) * x.get(k);
            }
            out.set(blk, sum * scale + (q.get(off + 2) & 0xff));
        }
    }

    /** A kernel-style vector update without barriers: the JVM reference is one call per work-item. */
    public static void contextAxpy(KernelContext ctx, FloatArray x, FloatArray y, float alpha, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            y.set(i, alpha * x.get(i) + y.get(i) + ctx.localIdx * 0.5f + ctx.groupIdx * 1000f + ctx.localGroupSizeX);
        }
    }

    /**
     * {@code y[i] = w[i] * x[i]} with the weight read before the wait for the preceding kernel
     * (KernelContext.awaitPrecedingKernel) and x, which that kernel may write, after it.
     */
    public static void weightReadBeforeAwait(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int n) {
        int i = ctx.globalIdx;
        float wi = i < n ? w.get(i) : 0f;
        ctx.awaitPrecedingKernel();
        if (i < n) {
            y.set(i, wi * x.get(i));
        }
    }

    /**
     * y[i] = w[i] * x[i], where each group's first item asks for the group's run of w to be
     * cached before the wait for the preceding kernel (KernelContext.prefetchToCache).
     */
    public static void weightPrefetchedBeforeAwait(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int n) {
        int i = ctx.globalIdx;
        int first = ctx.groupIdx * ctx.localGroupSizeX;
        if (ctx.localIdx == 0 && first < n) {
            ctx.prefetchToCache(w, first, Math.min(ctx.localGroupSizeX, n - first));
        }
        ctx.awaitPrecedingKernel();
        if (i < n) {
            y.set(i, w.get(i) * x.get(i));
        }
    }

    /** y[i] = 2 x[i], declared for work-groups of at most 256 items (MaxWorkGroupSize). */
    @MaxWorkGroupSize(256)
    public static void doubledInBoundedGroups(KernelContext ctx, FloatArray x, FloatArray y, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            y.set(i, 2f * x.get(i));
        }
    }

    /** Work-group sum in local memory with barriers: partial[group] = sum of the group's inputs. */
    public static void reduceGroups(KernelContext ctx, FloatArray in, FloatArray partial, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(64);
        int lid = ctx.localIdx;
        int gid = ctx.globalIdx;
        scratch[lid] = gid < n ? in.get(gid) : 0f;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            partial.set(ctx.groupIdx, scratch[0]);
        }
    }

    /** As {@link #reduceGroups} with the local array sized by a (specialised) parameter. */
    public static void reduceGroupsSized(KernelContext ctx, FloatArray in, FloatArray partial, int n, int groupSize) {
        float[] scratch = ctx.allocateFloatLocalArray(groupSize);
        int lid = ctx.localIdx;
        int gid = ctx.globalIdx;
        scratch[lid] = gid < n ? in.get(gid) : 0f;
        ctx.globalBarrier();
        for (int stride = groupSize / 2; stride > 0; stride >>= 1) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.globalBarrier();
        }
        if (lid == 0) {
            partial.set(ctx.groupIdx, scratch[0]);
        }
    }

    private static float valueOrZero(FloatArray in, int i, int n) {
        return i < n ? in.get(i) : 0f;
    }

    /**
     * Two rounds of four work-group sums through one barrier helper: in even groups
     * sums[8g] = sum of v + 3v and sums[8g + 1] = sum of 2v + 4v (four sums, two outputs), in odd
     * groups sums[8g + 4] = sum of v^2, a group that does not add meeting every barrier. The shape
     * of a kernel that PoCL 3.1 computed wrongly while both rounds called one function; a helper
     * without barriers ({@link #valueOrZero}) is called twice too. L at most 1024.
     */
    public static void fourSumsTwice(KernelContext ctx, FloatArray in, FloatArray sums, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(4096);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int gid = ctx.globalIdx;
        boolean even = ctx.groupIdx % 2 == 0;
        if (even) {
            float v = valueOrZero(in, gid, n);
            scratch[lid] = v;
            scratch[size + lid] = 2 * v;
            scratch[2 * size + lid] = 3 * v;
            scratch[3 * size + lid] = 4 * v;
        }
        sumFour(ctx, scratch, even);
        if (even && lid < 2) {
            sums.set(8 * ctx.groupIdx + lid, scratch[lid * size] + scratch[(2 + lid) * size]);
        }
        ctx.localBarrier();
        scratch[lid] = 0f;
        scratch[size + lid] = 0f;
        scratch[2 * size + lid] = 0f;
        scratch[3 * size + lid] = 0f;
        if (!even) {
            scratch[lid] = square(valueOrZero(in, gid, n));
        }
        sumFour(ctx, scratch, !even);
        if (!even && lid < 4) {
            sums.set(8 * ctx.groupIdx + 4 + lid, scratch[lid * size]);
        }
    }

    /** Four tree sums at once in {@code scratch} (rows of L), as GroupReduce.sumFourInPlace: a barrier, then one per level. */
    private static void sumFour(KernelContext ctx, float[] scratch, boolean participates) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            if (participates && lid < stride) {
                scratch[lid] += scratch[lid + stride];
                scratch[size + lid] += scratch[size + lid + stride];
                scratch[2 * size + lid] += scratch[2 * size + lid + stride];
                scratch[3 * size + lid] += scratch[3 * size + lid + stride];
            }
            ctx.localBarrier();
        }
    }

    /** Global int and float atomics and a local-memory histogram. */
    public static void atomics(KernelContext ctx, IntArray in, IntArray histogram, FloatArray total, IntArray oldValues, int n) {
        int[] local = ctx.allocateIntLocalArray(8);
        int lid = ctx.localIdx;
        if (lid < 8) {
            local[lid] = 0;
        }
        ctx.localBarrier();
        int gid = ctx.globalIdx;
        if (gid < n) {
            int v = in.get(gid);
            ctx.atomicAdd(local, v & 7, 1);
            ctx.atomicAdd(histogram, 8 + (v & 7), 1);
            float old = ctx.atomicAdd(total, 0, v * 0.5f);
            oldValues.set(gid, old >= 0f ? 1 : 0);
        }
        ctx.localBarrier();
        if (lid < 8) {
            ctx.atomicAdd(histogram, lid, local[lid]);
        }
    }

    /**
     * Each group writes the sum of its items' inputs; the group that draws the last ticket then
     * adds every group's sum in group order into {@code total[0]} and resets the ticket (items
     * fence after their writes, the group takes its ticket after a barrier, the last group fences
     * again before it reads). L at most 64.
     */
    public static void sumOfGroupsInLastGroup(KernelContext ctx, FloatArray in, FloatArray partial, IntArray ticket, FloatArray total,
                                              int n) {
        float[] scratch = ctx.allocateFloatLocalArray(64);
        int[] last = ctx.allocateIntLocalArray(1);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int gid = ctx.globalIdx;
        scratch[lid] = gid < n ? in.get(gid) : 0f;
        ctx.localBarrier();
        if (lid == 0) {
            float s = 0f;
            for (int i = 0; i < size; i++) {
                s += scratch[i];
            }
            partial.set(ctx.groupIdx, s);
        }
        ctx.globalMemoryFence();
        ctx.localBarrier();
        if (lid == 0) {
            last[0] = ctx.atomicAdd(ticket, 0, 1) == groups - 1 ? 1 : 0;
        }
        ctx.localBarrier();
        if (last[0] == 1) {
            ctx.globalMemoryFence();
            if (lid == 0) {
                float s = 0f;
                for (int g = 0; g < groups; g++) {
                    s += partial.get(g);
                }
                total.set(0, s);
                ticket.set(0, 0);
            }
        }
    }
}
