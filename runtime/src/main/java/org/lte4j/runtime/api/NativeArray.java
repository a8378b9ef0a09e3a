package org.lte4j.runtime.api;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An off-heap array that a kernel can read and write on every backend. The storage is a
 * {@link MemorySegment}, so an array may exceed 2 GiB and may map a file without a heap copy.
 * One subclass per element type; indices are element indices.
 */
public abstract sealed class NativeArray implements AutoCloseable
        permits FloatArray, HalfArray, IntArray, ByteArray {

    private final MemorySegment segment;
    private final Arena arena; // null when the segment is borrowed (e.g. a mapped model file)

    NativeArray(long elements, long elementBytes) {
        if (elements < 0) {
            throw new IllegalArgumentException("array length must be >= 0, was " + elements);
        }
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(Math.max(1, elements) * elementBytes, 64).asSlice(0, elements * elementBytes);
    }

    NativeArray(MemorySegment borrowed, long elementBytes) {
        Objects.requireNonNull(borrowed, "segment");
        if (borrowed.byteSize() % elementBytes != 0) {
            throw new IllegalArgumentException("segment of " + borrowed.byteSize()
                    + " bytes is not a whole number of " + elementBytes + "-byte elements");
        }
        this.arena = null;
        this.segment = borrowed;
    }

    /** The storage. Backends copy from and to it. */
    public final MemorySegment segment() {
        return segment;
    }

    /** Number of elements. */
    public final long getSize() {
        return segment.byteSize() / elementBytes();
    }

    public final long byteSize() {
        return segment.byteSize();
    }

    /** Bytes per element as stored. */
    public abstract int elementBytes();

    /** The element type as a kernel parameter sees it. */
    public abstract ElementType elementType();

    /** Frees the memory now if this array owns it; borrowed segments are left to their owner. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + getSize() + "]";
    }

    /** Element types of kernel arrays, as the compiler and backends name them. */
    public enum ElementType {
        FLOAT32(4), FLOAT16(2), INT32(4), INT8(1);

        public final int bytes;

        ElementType(int bytes) {
            this.bytes = bytes;
        }
    }
}
