package org.lte4j.runtime.backend;

/** Device memory backing one host {@code NativeArray}. Freed by {@link #close()}. */
public interface DeviceBuffer extends AutoCloseable {
    long byteSize();

    @Override
    void close();
}
