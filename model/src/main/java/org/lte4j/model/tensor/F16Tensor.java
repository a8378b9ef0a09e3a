package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.NativeArray;

/** IEEE binary16, little-endian. */
public final class F16Tensor extends Tensor {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    F16Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public float get(long index) {
        return Float.float16ToFloat(segment().get(LE, index * 2));
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
            acc = Fp16.halfToFloat(h).fma(FloatVector.fromArray(Fp16.F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += Float.float16ToFloat(data.get(LE, base + i * 2L)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public NativeArray asNativeArray() {
        return HalfArray.wrap(segment());
    }
}
