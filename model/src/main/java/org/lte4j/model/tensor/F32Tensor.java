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
    public void rowTo(int row, float[] out, int outOffset) {
        MemorySegment.copy(segment(), LE, (long) row * cols * 4, out, outOffset, cols);
    }

    @Override
    public NativeArray asNativeArray() {
        return FloatArray.wrap(segment());
    }
}
