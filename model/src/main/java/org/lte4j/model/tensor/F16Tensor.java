package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.NativeArray;

/** IEEE binary16, little-endian. */
public final class F16Tensor extends TwoByteFloatTensor {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    F16Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    FloatVector widen(ShortVector bits) {
        return Fp16.halfToFloat(bits);
    }

    @Override
    float widen(short bits) {
        return Float.float16ToFloat(bits);
    }

    @Override
    public NativeArray asNativeArray() {
        return HalfArray.wrap(segment());
    }
}
