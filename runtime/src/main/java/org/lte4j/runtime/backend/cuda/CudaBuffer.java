package org.lte4j.runtime.backend.cuda;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.backend.DeviceBuffer;

/** Device memory ({@code CUdeviceptr}) backing one host array. Freed by {@link #close()} or by its device's close. */
public final class CudaBuffer implements DeviceBuffer {
    private final CudaDevice device; // null only in tests that never touch a driver
    private final long pointer;
    private final long byteSize;
    private final NativeArray.ElementType elementType;
    private final String label;
    private volatile boolean closed;

    CudaBuffer(CudaDevice device, long pointer, long byteSize, NativeArray.ElementType elementType, String label) {
        this.device = device;
        this.pointer = pointer;
        this.byteSize = byteSize;
        this.elementType = elementType;
        this.label = label;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    /** The device address, as a kernel receives it. */
    public long devicePointer() {
        return pointer;
    }

    public NativeArray.ElementType elementType() {
        return elementType;
    }

    CudaDevice device() {
        return device;
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the buffer freed; returns false when it already was. */
    synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    @Override
    public void close() {
        if (device != null) {
            device.free(this);
        } else {
            markClosed();
        }
    }

    @Override
    public String toString() {
        return label + " on " + (device == null ? "no device" : device.spec()) + (closed ? " (closed)" : "");
    }
}
