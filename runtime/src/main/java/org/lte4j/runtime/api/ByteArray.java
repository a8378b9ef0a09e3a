package org.lte4j.runtime.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap byte array, for packed quantised blocks (GGML Q8_0, Q4_0). Besides single bytes a
 * kernel may read a little-endian fp16 at any byte offset with {@link #getHalf}, which is how a
 * block's scale is stored.
 */
public final class ByteArray extends NativeArray {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    public ByteArray(long length) {
        super(length, 1);
    }

    private ByteArray(MemorySegment segment) {
        super(segment, 1);
    }

    public static ByteArray wrap(MemorySegment segment) {
        return new ByteArray(segment);
    }

    public byte get(long i) {
        return segment().get(ValueLayout.JAVA_BYTE, i);
    }

    public void set(long i, byte v) {
        segment().set(ValueLayout.JAVA_BYTE, i, v);
    }

    /** The fp16 stored little-endian at byte offset {@code byteOffset}, as a float. */
    public float getHalf(long byteOffset) {
        return Float.float16ToFloat(segment().get(HALF, byteOffset));
    }

    @Override
    public int elementBytes() {
        return 1;
    }

    @Override
    public ElementType elementType() {
        return ElementType.INT8;
    }
}
