package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;

/**
 * Checks every storage type against a plain scalar statement of GGML's formulas, written here
 * independently of the vectorised code (a half is decoded by hand, not by the JDK).
 */
class TensorTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final Arena arena = Arena.ofAuto();

    /** IEEE binary16 decoded from its fields (reference for the tests). */
    static double half(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1f, man = bits & 0x3ff;
        double mag = exp == 0 ? man * Math.pow(2, -24) : (1 + man / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -mag : mag;
    }

    /** Random blocks: a finite random half scale (incl. subnormals and negatives) and random bytes. */
    private MemorySegment randomBlocks(Random rnd, int blocks, int blockBytes) {
        MemorySegment seg = arena.allocate((long) blocks * blockBytes);
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * blockBytes;
            short d;
            do {
                d = (short) rnd.nextInt(1 << 16);
            } while (((d >> 10) & 0x1f) == 0x1f); // no inf/nan scales
            if (b % 3 == 0) {
                d = Float.floatToFloat16((float) (rnd.nextGaussian() * 0.05)); // realistic scales too
            }
            seg.set(I16, o, d);
            for (int j = 2; j < blockBytes; j++) {
                seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) rnd.nextInt(256));
            }
        }
        return seg;
    }

    private static double refQ8(MemorySegment seg, long i) {
        long o = i / 32 * 34;
        return half(seg.get(I16, o) & 0xffff) * seg.get(ValueLayout.JAVA_BYTE, o + 2 + i % 32);
    }

    private static double refQ4(MemorySegment seg, long i) {
        long o = i / 32 * 18;
        int j = (int) (i % 32);
        int b = seg.get(ValueLayout.JAVA_BYTE, o + 2 + j % 16) & 0xff;
        int q = j < 16 ? (b & 15) : (b >> 4);
        return half(seg.get(I16, o) & 0xffff) * (q - 8);
    }

    private void checkAgainstReference(Tensor t, java.util.function.LongToDoubleFunction ref, Random rnd) {
        int rows = t.rows(), cols = t.cols();
        for (long i = 0; i < t.elementCount(); i++) {
            assertEquals(ref.applyAsDouble(i), t.get(i), 0.0, "element " + i);
        }
        float[] all = t.toFloats();
        for (int i = 0; i < all.length; i++) {
            assertEquals(ref.applyAsDouble(i), all[i], 0.0, "toFloats " + i);
        }
        float[] x = new float[cols + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[rows];
        t.matVec(x, 3, out, 0, rows);
        for (int r = 0; r < rows; r++) {
            double expect = 0, scale = 0;
            for (int c = 0; c < cols; c++) {
                double w = ref.applyAsDouble((long) r * cols + c);
                expect += w * x[3 + c];
                scale += Math.abs(w * x[3 + c]);
            }
            assertEquals(expect, out[r], 1e-5 * scale + 1e-30, "row " + r);
            // interpreted and JIT-compiled vector reductions may sum in different orders
            assertEquals(out[r], t.dot(r, x, 3), 1e-6 * scale + 1e-30, "dot agrees with matVec");
        }
    }

    @Test
    void q8_0MatchesGgmlFormula() {
        Random rnd = new Random(1);
        MemorySegment seg = randomBlocks(rnd, 5 * 4, 34);
        Tensor t = Tensor.of("q8", GgmlType.Q8_0, new long[] {5, 128}, seg);
        checkAgainstReference(t, i -> refQ8(seg, i), rnd);
        assertInstanceOf(ByteArray.class, t.asNativeArray());
        assertEquals(seg.address(), t.asNativeArray().segment().address(), "a view, not a copy");
    }

    @Test
    void q4_0MatchesGgmlFormula() {
        Random rnd = new Random(2);
        MemorySegment seg = randomBlocks(rnd, 7 * 3, 18);
        Tensor t = Tensor.of("q4", GgmlType.Q4_0, new long[] {7, 96}, seg);
        checkAgainstReference(t, i -> refQ4(seg, i), rnd);
        assertInstanceOf(ByteArray.class, t.asNativeArray());
    }

    @Test
    void largeQuantisedProductRunsInParallelAndStillMatches() {
        Random rnd = new Random(3);
        MemorySegment seg = randomBlocks(rnd, 2100 * 8, 34);
        Tensor t = Tensor.of("big", GgmlType.Q8_0, new long[] {2100, 256}, seg);
        // three chunks of rows; SplitChooser tries both ways in turn at first, so these products include split ones
        for (int i = 0; i < 2 * SplitChooser.WINDOW + 2; i++) {
            checkAgainstReference(t, j -> refQ8(seg, j), rnd);
        }
    }

    @Test
    void floatTypesMatchScalarDecoding() {
        Random rnd = new Random(4);
        int rows = 9, cols = 53; // not a multiple of the vector length: exercises the tails
        MemorySegment f32 = arena.allocate(rows * cols * 4L);
        MemorySegment f16 = arena.allocate(rows * cols * 2L);
        MemorySegment bf16 = arena.allocate(rows * cols * 2L);
        for (int i = 0; i < rows * cols; i++) {
            f32.set(F32, 4L * i, (float) rnd.nextGaussian());
            short h;
            do {
                h = (short) rnd.nextInt(1 << 16);
            } while (((h >> 10) & 0x1f) == 0x1f || Math.abs(half(h & 0xffff)) > 100);
            f16.set(I16, 2L * i, h);
            bf16.set(I16, 2L * i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
        }
        long[] shape = {rows, cols};
        checkAgainstReference(Tensor.of("f32", GgmlType.F32, shape, f32), i -> f32.get(F32, 4 * i), rnd);
        checkAgainstReference(Tensor.of("f16", GgmlType.F16, shape, f16), i -> half(f16.get(I16, 2 * i) & 0xffff), rnd);
        checkAgainstReference(Tensor.of("bf16", GgmlType.BF16, shape, bf16),
                i -> Float.intBitsToFloat((bf16.get(I16, 2 * i) & 0xffff) << 16), rnd);
        assertInstanceOf(FloatArray.class, Tensor.of("f32", GgmlType.F32, shape, f32).asNativeArray());
        assertInstanceOf(HalfArray.class, Tensor.of("f16", GgmlType.F16, shape, f16).asNativeArray());
    }

    @Test
    void quantiserFollowsGgmlReference() {
        Random rnd = new Random(5);
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        v[5] = 0.5f * 0; // exact zero survives
        Tensor q8 = Tensor.fromFloats("q8", GgmlType.Q8_0, new long[] {2, 32}, v, arena);
        Tensor q4 = Tensor.fromFloats("q4", GgmlType.Q4_0, new long[] {2, 32}, v, arena);
        for (int b = 0; b < 2; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                if (Math.abs(v[b * 32 + j]) > amax) {
                    amax = Math.abs(v[b * 32 + j]);
                    max = v[b * 32 + j];
                }
            }
            float d8 = amax / 127, id8 = d8 != 0 ? 1 / d8 : 0;
            float d4 = max / -8, id4 = d4 != 0 ? 1 / d4 : 0;
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                long q8ref = Math.round(Math.abs(v[i] * id8)) * (long) Math.signum(v[i] * id8); // roundf: half away from 0
                int q4ref = Math.min(15, (int) (v[i] * id4 + 8.5f));
                assertEquals(half(Float.floatToFloat16(d8)) * q8ref, q8.get(i), 0.0, "q8 " + i);
                assertEquals(half(Float.floatToFloat16(d4)) * (q4ref - 8), q4.get(i), 0.0, "q4 " + i);
                assertEquals(v[i], q8.get(i), d8 / 2 + 1e-3 * d8, "q8 error within half a step " + i);
            }
        }
        assertEquals(0f, q8.get(5));
    }

    @Test
    void permuteRowsMovesWholeRows() {
        Random rnd = new Random(6);
        MemorySegment seg = randomBlocks(rnd, 4, 18);
        Tensor t = Tensor.of("q4", GgmlType.Q4_0, new long[] {4, 32}, seg);
        Tensor p = t.permuteRows(new int[] {2, 0, 3, 1}, arena);
        for (int c = 0; c < 32; c++) {
            assertEquals(t.get(2 * 32 + c), p.get(c));
            assertEquals(t.get(1 * 32 + c), p.get(3 * 32 + c));
        }
    }

    @Test
    void wrongSizesAreRejected() {
        MemorySegment seg = arena.allocate(34);
        assertThrows(IllegalArgumentException.class, () -> Tensor.of("x", GgmlType.Q8_0, new long[] {1, 64}, seg));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of("x", GgmlType.Q8_0, new long[] {2, 16}, seg));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of("x", GgmlType.Q4_K, new long[] {1, 256}, arena.allocate(144)));
    }
}
