package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A 16-bit float storage type (IEEE fp16 or bfloat16), little-endian: the products are the same
 * loops and differ only in how 16 bits widen to an fp32, which each subclass says.
 */
public abstract sealed class TwoByteFloatTensor extends Tensor permits F16Tensor, BF16Tensor {
    TwoByteFloatTensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    /** The lanes of {@code bits} as floats. */
    abstract FloatVector widen(ShortVector bits);

    /** {@code bits} as a float. */
    abstract float widen(short bits);

    @Override
    public final float get(long index) {
        return widen(segment().get(F16Tensor.LE, index * 2));
    }

    @Override
    public final float dot(int row, float[] x, int xOffset) {
        MemorySegment data = segment();
        long base = (long) row * cols * 2;
        FloatVector acc = FloatVector.zero(Fp16.F);
        int step = Fp16.F.length();
        int i = 0;
        for (int upper = Fp16.F.loopBound(cols); i < upper; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(Fp16.S, data, base + i * 2L, ByteOrder.LITTLE_ENDIAN);
            acc = widen(h).fma(FloatVector.fromArray(Fp16.F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += widen(data.get(F16Tensor.LE, base + i * 2L)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    final void dotFourInputs(int row, float[] xs, int t, float[] outs) {
        MemorySegment data = segment();
        long base = (long) row * cols * 2;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(Fp16.F), a1 = a0, a2 = a0, a3 = a0;
        int step = Fp16.F.length();
        int i = 0;
        for (int upper = Fp16.F.loopBound(cols); i < upper; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(Fp16.S, data, base + i * 2L, ByteOrder.LITTLE_ENDIAN);
            FloatVector w = widen(h);
            a0 = w.fma(FloatVector.fromArray(Fp16.F, xs, x0 + i), a0);
            a1 = w.fma(FloatVector.fromArray(Fp16.F, xs, x1 + i), a1);
            a2 = w.fma(FloatVector.fromArray(Fp16.F, xs, x2 + i), a2);
            a3 = w.fma(FloatVector.fromArray(Fp16.F, xs, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float w = widen(data.get(F16Tensor.LE, base + i * 2L));
            s0 += w * xs[x0 + i];
            s1 += w * xs[x1 + i];
            s2 += w * xs[x2 + i];
            s3 += w * xs[x3 + i];
        }
        store4(outs, t, row, s0, s1, s2, s3);
    }
}
