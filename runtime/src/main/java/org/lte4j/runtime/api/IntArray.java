package org.lte4j.runtime.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Off-heap int32 array. */
public final class IntArray extends NativeArray {
    private static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT_UNALIGNED;

    public IntArray(long length) {
        super(length, 4);
    }

    private IntArray(MemorySegment segment) {
        super(segment, 4);
    }

    public static IntArray wrap(MemorySegment segment) {
        return new IntArray(segment);
    }

    public static IntArray of(int... values) {
        IntArray a = new IntArray(values.length);
        MemorySegment.copy(values, 0, a.segment(), LAYOUT, 0, values.length);
        return a;
    }

    public int get(long i) {
        return segment().getAtIndex(LAYOUT, i);
    }

    public void set(long i, int v) {
        segment().setAtIndex(LAYOUT, i, v);
    }

    public void fill(int v) {
        for (long i = 0, n = getSize(); i < n; i++) {
            set(i, v);
        }
    }

    @Override
    public int elementBytes() {
        return 4;
    }

    @Override
    public ElementType elementType() {
        return ElementType.INT32;
    }
}
