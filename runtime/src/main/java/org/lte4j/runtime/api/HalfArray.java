package org.lte4j.runtime.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap IEEE fp16 array. Kernels read and write floats; storage is binary16 (round to nearest
 * even on store, as {@link Float#floatToFloat16} and the devices' conversions do).
 */
public final class HalfArray extends NativeArray {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED;

    public HalfArray(long length) {
        super(length, 2);
    }

    private HalfArray(MemorySegment segment) {
        super(segment, 2);
    }

    public static HalfArray wrap(MemorySegment segment) {
        return new HalfArray(segment);
    }

    public float get(long i) {
        return Float.float16ToFloat(segment().getAtIndex(LAYOUT, i));
    }

    public void set(long i, float v) {
        segment().setAtIndex(LAYOUT, i, Float.floatToFloat16(v));
    }

    public short getRaw(long i) {
        return segment().getAtIndex(LAYOUT, i);
    }

    @Override
    public int elementBytes() {
        return 2;
    }

    @Override
    public ElementType elementType() {
        return ElementType.FLOAT16;
    }
}
