package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.NativeArray;

/** bfloat16 (the top 16 bits of an fp32), little-endian. */
public final class BF16Tensor extends TwoByteFloatTensor {
    BF16Tensor(String name, long[] shape, MemorySegment data) {
        super(name, shape, data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    FloatVector widen(ShortVector bits) {
        return Fp16.bf16ToFloat(bits);
    }

    @Override
    float widen(short bits) {
        return Fp16.bf16ToFloat(bits);
    }

    /** Raw bf16 bits as bytes (the runtime has no bf16 array type); two bytes per element, LE. */
    @Override
    public NativeArray asNativeArray() {
        return ByteArray.wrap(segment());
    }
}
