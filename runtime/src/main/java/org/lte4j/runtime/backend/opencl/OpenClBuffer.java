package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.backend.DeviceBuffer;

/**
 * A cl_mem holding one host array's bytes. A zero-length array gets no cl_mem (OpenCL forbids
 * empty buffers): the handle is 0 and a kernel sees a NULL pointer, which it never dereferences.
 */
final class OpenClBuffer implements DeviceBuffer {
    final OpenClDevice device;
    final NativeArray.ElementType elementType;
    final String label;
    private final long byteSize;
    private long mem;

    OpenClBuffer(OpenClDevice device, long mem, long byteSize, NativeArray.ElementType elementType, String label) {
        this.device = device;
        this.mem = mem;
        this.byteSize = byteSize;
        this.elementType = elementType;
        this.label = label;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    boolean isClosed() {
        return mem == -1;
    }

    /** The cl_mem (0 for an empty buffer). */
    long handle() {
        if (isClosed()) {
            throw new IllegalStateException("device buffer " + this + " is closed");
        }
        return mem;
    }

    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        long m = mem;
        mem = -1;
        device.forget(this);
        if (m != 0) {
            OpenClStatus.check(clReleaseMemObject(m), "clReleaseMemObject", "releasing buffer " + this);
        }
    }

    @Override
    public String toString() {
        return label + " (" + OpenClDeviceInfo.bytes(byteSize) + " on opencl:" + device.index() + ")";
    }
}
