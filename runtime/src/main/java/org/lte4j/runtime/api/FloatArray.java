package org.lte4j.runtime.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Off-heap fp32 array. */
public final class FloatArray extends NativeArray {
    private static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public FloatArray(long length) {
        super(length, 4);
    }

    private FloatArray(MemorySegment segment) {
        super(segment, 4);
    }

    /** Views an existing segment (for example a mapped file) without copying. */
    public static FloatArray wrap(MemorySegment segment) {
        return new FloatArray(segment);
    }

    public static FloatArray of(float... values) {
        FloatArray a = new FloatArray(values.length);
        MemorySegment.copy(values, 0, a.segment(), LAYOUT, 0, values.length);
        return a;
    }

    public float get(long i) {
        return segment().getAtIndex(LAYOUT, i);
    }

    public void set(long i, float v) {
        segment().setAtIndex(LAYOUT, i, v);
    }

    public void fill(float v) {
        for (long i = 0, n = getSize(); i < n; i++) {
            set(i, v);
        }
    }

    public float[] toHeapArray() {
        return segment().toArray(ValueLayout.JAVA_FLOAT);
    }

    @Override
    public int elementBytes() {
        return 4;
    }

    @Override
    public ElementType elementType() {
        return ElementType.FLOAT32;
    }
}
