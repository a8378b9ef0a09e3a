package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.NativeArray;

/** bfloat16 (the top 16 bits of an fp32), little-endian. */
public final class BF16Tensor extends Tensor {
    BF16Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public float get(long index) {
        return Fp16.bf16ToFloat(segment().get(F16Tensor.LE, index * 2));
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        MemorySegment data = segment();
        long base = (long) row * cols * 2;
        FloatVector acc = FloatVector.zero(Fp16.F);
        int step = Fp16.F.length();
        int i = 0;
        for (int upper = Fp16.F.loopBound(cols); i < upper; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(Fp16.S, data, base + i * 2L, ByteOrder.LITTLE_ENDIAN);
            acc = Fp16.bf16ToFloat(h).fma(FloatVector.fromArray(Fp16.F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += Fp16.bf16ToFloat(data.get(F16Tensor.LE, base + i * 2L)) * x[xOffset + i];
        }
        return sum;
    }

    /** Raw bf16 bits as bytes (the runtime has no bf16 array type); two bytes per element, LE. */
    @Override
    void dotFourInputs(int row, float[] xs, int t, float[] outs) {
        MemorySegment data = segment();
        long base = (long) row * cols * 2;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(Fp16.F), a1 = a0, a2 = a0, a3 = a0;
        int step = Fp16.F.length();
        int i = 0;
        for (int upper = Fp16.F.loopBound(cols); i < upper; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(Fp16.S, data, base + i * 2L, ByteOrder.LITTLE_ENDIAN);
            FloatVector w = Fp16.bf16ToFloat(h);
            a0 = w.fma(FloatVector.fromArray(Fp16.F, xs, x0 + i), a0);
            a1 = w.fma(FloatVector.fromArray(Fp16.F, xs, x1 + i), a1);
            a2 = w.fma(FloatVector.fromArray(Fp16.F, xs, x2 + i), a2);
            a3 = w.fma(FloatVector.fromArray(Fp16.F, xs, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float w = Fp16.bf16ToFloat(data.get(F16Tensor.LE, base + i * 2L));
            s0 += w * xs[x0 + i];
            s1 += w * xs[x1 + i];
            s2 += w * xs[x2 + i];
            s3 += w * xs[x3 + i];
        }
        store4(outs, t, row, s0, s1, s2, s3);
    }

    @Override
    public NativeArray asNativeArray() {
        return ByteArray.wrap(segment());
    }
}
