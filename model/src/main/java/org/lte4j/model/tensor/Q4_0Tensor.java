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
 * GGML Q4_0: blocks of 32 elements in 18 bytes, an fp16 scale {@code d} then 16 bytes whose low
 * nibbles are elements 0..15 and high nibbles elements 16..31; element {@code = d * (nibble - 8)}.
 */
public final class Q4_0Tensor extends Tensor {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 18;
    /**
     * At most 256 bits: a block's bytes then widen to floats within one register shape change,
     * which measured 1.3-1.5x faster for Q8_0 than 512-bit floats fed from 128-bit byte loads on
     * this AVX-512 machine (noisy, shared 2-core host; a benchmark should confirm).
     */
    static final VectorSpecies<Float> F = F_SPECIES.vectorBitSize() > 256 ? FloatVector.SPECIES_256 : F_SPECIES;
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

    Q4_0Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
        if (16 % F.length() != 0) {
            throw new IllegalStateException("Q4_0 needs a float vector of at most 16 lanes, have " + F.length());
        }
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public float get(long index) {
        long bo = index / BLOCK * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        float d = Float.float16ToFloat(segment().get(F16Tensor.LE, bo));
        int b = segment().get(ValueLayout.JAVA_BYTE, bo + 2 + (j & 15)) & 0xff;
        int nibble = j < 16 ? b & 0x0f : b >>> 4;
        return d * (nibble - 8);
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
            for (int j = 0; j < 16; j += step) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0f).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).sub((byte) 8);
                acc = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + j), acc);
                acc = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16 + j), acc);
            }
            total = acc.fma(FloatVector.broadcast(F, d), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
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
            for (int j = 0; j < 16; j += step) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector lo = (FloatVector) q.and((byte) 0x0f).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                // the order of dot: the low half's fma, then the high half's, per token
                a0 = hi.fma(FloatVector.fromArray(F, xs, x0 + 16 + j), lo.fma(FloatVector.fromArray(F, xs, x0 + j), a0));
                a1 = hi.fma(FloatVector.fromArray(F, xs, x1 + 16 + j), lo.fma(FloatVector.fromArray(F, xs, x1 + j), a1));
                a2 = hi.fma(FloatVector.fromArray(F, xs, x2 + 16 + j), lo.fma(FloatVector.fromArray(F, xs, x2 + j), a2));
                a3 = hi.fma(FloatVector.fromArray(F, xs, x3 + 16 + j), lo.fma(FloatVector.fromArray(F, xs, x3 + j), a3));
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
    public NativeArray asNativeArray() {
        return ByteArray.wrap(segment());
    }
}
