package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.NativeArray;

/**
 * GGML Q8_0: blocks of 32 elements in 34 bytes, an fp16 scale {@code d} then 32 signed bytes
 * {@code q}; element {@code = d * q}.
 */
public final class Q8_0Tensor extends Tensor {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;
    /**
     * The preferred float shape, fed by byte loads of as many lanes (128 bits for 512-bit floats):
     * each load widens to floats in one conversion. On this AVX-512 machine that runs 1.3-1.4x
     * faster per core than 256-bit floats (17-19 against 13 GB/s of thread CPU time on an
     * L2-resident matrix; the earlier cap at 256 bits came from wall-clock timings that caught
     * the slower warm-up and a shared machine's scheduling). At least 256 bits, since a byte
     * vector has no shape below 64 bits.
     */
    static final VectorSpecies<Float> F = F_SPECIES.length() >= 8 ? F_SPECIES : FloatVector.SPECIES_256;
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

    Q8_0Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK;
        long bo = block * BLOCK_BYTES;
        float d = Float.float16ToFloat(segment().get(F16Tensor.LE, bo));
        return d * segment().get(ValueLayout.JAVA_BYTE, bo + 2 + index % BLOCK);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        MemorySegment data = segment();
        int blocks = cols / BLOCK;
        long base = (long) row * blocks * BLOCK_BYTES;
        int step = F.length();
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long bo = base + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(F16Tensor.LE, bo));
            int xo = xOffset + b * BLOCK;
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += step) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
                acc = qf.fma(FloatVector.fromArray(F, x, xo + j), acc);
            }
            total = acc.fma(FloatVector.broadcast(F, d), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Four rows in one loop. Besides keeping four weight streams in flight, this overlaps four
     * independent chains of fused multiply-adds: one row's block sums wait on each other, so a
     * single row is bound by fma latency rather than by the conversion or by memory.
     */
    @Override
    void dotFourRows(int row, int stride, float[] x, int xOffset, float[] dst, int dstIndex) {
        MemorySegment data = segment();
        int blocks = cols / BLOCK;
        long rowBytes = (long) blocks * BLOCK_BYTES, b0 = row * rowBytes, b1 = b0 + stride * rowBytes;
        long b2 = b1 + stride * rowBytes, b3 = b2 + stride * rowBytes;
        int step = F.length();
        FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * BLOCK_BYTES;
            int xo = xOffset + b * BLOCK;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < BLOCK; j += step) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + j);
                a0 = quants(data, b0 + o + 2 + j).fma(xv, a0);
                a1 = quants(data, b1 + o + 2 + j).fma(xv, a1);
                a2 = quants(data, b2 + o + 2 + j).fma(xv, a2);
                a3 = quants(data, b3 + o + 2 + j).fma(xv, a3);
            }
            t0 = a0.fma(scale(data, b0 + o), t0);
            t1 = a1.fma(scale(data, b1 + o), t1);
            t2 = a2.fma(scale(data, b2 + o), t2);
            t3 = a3.fma(scale(data, b3 + o), t3);
        }
        dst[dstIndex] = t0.reduceLanes(VectorOperators.ADD);
        dst[dstIndex + stride] = t1.reduceLanes(VectorOperators.ADD);
        dst[dstIndex + 2 * stride] = t2.reduceLanes(VectorOperators.ADD);
        dst[dstIndex + 3 * stride] = t3.reduceLanes(VectorOperators.ADD);
    }

    /** {@code F.length()} quants from {@code offset}, as floats. */
    private static FloatVector quants(MemorySegment data, long offset) {
        ByteVector q = ByteVector.fromMemorySegment(B, data, offset, ByteOrder.LITTLE_ENDIAN);
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /** The block scale at {@code blockOffset}, in every lane. */
    private static FloatVector scale(MemorySegment data, long blockOffset) {
        return FloatVector.broadcast(F, Float.float16ToFloat(data.get(F16Tensor.LE, blockOffset)));
    }

    @Override
    void dotFourInputs(int row, float[] xs, int t, float[] outs) {
        MemorySegment data = segment();
        int blocks = cols / BLOCK;
        long base = (long) row * blocks * BLOCK_BYTES;
        int step = F.length();
        FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
        for (int b = 0; b < blocks; b++) {
            long bo = base + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(F16Tensor.LE, bo)));
            int x0 = t * cols + b * BLOCK, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < BLOCK; j += step) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
                a0 = qf.fma(FloatVector.fromArray(F, xs, x0 + j), a0);
                a1 = qf.fma(FloatVector.fromArray(F, xs, x1 + j), a1);
                a2 = qf.fma(FloatVector.fromArray(F, xs, x2 + j), a2);
                a3 = qf.fma(FloatVector.fromArray(F, xs, x3 + j), a3);
            }
            t0 = a0.fma(d, t0);
            t1 = a1.fma(d, t1);
            t2 = a2.fma(d, t2);
            t3 = a3.fma(d, t3);
        }
        store4(outs, t, row, t0.reduceLanes(VectorOperators.ADD), t1.reduceLanes(VectorOperators.ADD),
                t2.reduceLanes(VectorOperators.ADD), t3.reduceLanes(VectorOperators.ADD));
    }

    @Override
    public void rowTo(int row, float[] out, int outOffset) {
        MemorySegment data = segment();
        int blocks = cols / BLOCK;
        long base = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++) {
            long bo = base + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(F16Tensor.LE, bo));
            for (int j = 0; j < BLOCK; j++) {
                out[outOffset + b * BLOCK + j] = d * data.get(ValueLayout.JAVA_BYTE, bo + 2 + j);
            }
        }
    }

    @Override
    public NativeArray asNativeArray() {
        return ByteArray.wrap(segment());
    }
}
