package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.NativeArray;

/** IEEE fp32, little-endian. */
public final class F32Tensor extends Tensor {
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    F32Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public float get(long index) {
        return segment().get(LE, index * 4);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        VectorSpecies<Float> sp = F_SPECIES;
        MemorySegment data = segment();
        long base = (long) row * cols * 4;
        FloatVector acc = FloatVector.zero(sp);
        int i = 0;
        for (int upper = sp.loopBound(cols); i < upper; i += sp.length()) {
            FloatVector w = FloatVector.fromMemorySegment(sp, data, base + i * 4L, ByteOrder.LITTLE_ENDIAN);
            acc = w.fma(FloatVector.fromArray(sp, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += data.get(LE, base + i * 4L) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    void dotFourRows(int row, int stride, float[] x, int xOffset, float[] dst, int dstIndex) {
        VectorSpecies<Float> sp = F_SPECIES;
        MemorySegment data = segment();
        long rowBytes = cols * 4L, b0 = row * rowBytes, b1 = b0 + stride * rowBytes;
        long b2 = b1 + stride * rowBytes, b3 = b2 + stride * rowBytes;
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper = sp.loopBound(cols); i < upper; i += sp.length()) {
            FloatVector xv = FloatVector.fromArray(sp, x, xOffset + i);
            long o = i * 4L;
            a0 = FloatVector.fromMemorySegment(sp, data, b0 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(sp, data, b1 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(sp, data, b2 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(sp, data, b3 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float xi = x[xOffset + i];
            s0 += data.get(LE, b0 + i * 4L) * xi;
            s1 += data.get(LE, b1 + i * 4L) * xi;
            s2 += data.get(LE, b2 + i * 4L) * xi;
            s3 += data.get(LE, b3 + i * 4L) * xi;
        }
        dst[dstIndex] = s0;
        dst[dstIndex + stride] = s1;
        dst[dstIndex + 2 * stride] = s2;
        dst[dstIndex + 3 * stride] = s3;
    }

    @Override
    void dotFourInputs(int row, float[] xs, int t, float[] outs) {
        VectorSpecies<Float> sp = F_SPECIES;
        MemorySegment data = segment();
        long base = (long) row * cols * 4;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper = sp.loopBound(cols); i < upper; i += sp.length()) {
            FloatVector w = FloatVector.fromMemorySegment(sp, data, base + i * 4L, ByteOrder.LITTLE_ENDIAN);
            a0 = w.fma(FloatVector.fromArray(sp, xs, x0 + i), a0);
            a1 = w.fma(FloatVector.fromArray(sp, xs, x1 + i), a1);
            a2 = w.fma(FloatVector.fromArray(sp, xs, x2 + i), a2);
            a3 = w.fma(FloatVector.fromArray(sp, xs, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float w = data.get(LE, base + i * 4L);
            s0 += w * xs[x0 + i];
            s1 += w * xs[x1 + i];
            s2 += w * xs[x2 + i];
            s3 += w * xs[x3 + i];
        }
        store4(outs, t, row, s0, s1, s2, s3);
    }

    @Override
    public void rowTo(int row, float[] out, int outOffset) {
        MemorySegment.copy(segment(), LE, (long) row * cols * 4, out, outOffset, cols);
    }

    @Override
    public NativeArray asNativeArray() {
        return FloatArray.wrap(segment());
    }
}
