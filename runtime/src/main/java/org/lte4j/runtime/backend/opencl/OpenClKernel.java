package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.clReleaseKernel;

import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.compiler.GeneratedKernel;

/** A cl_kernel created from a program that the device keeps cached; closing it releases the kernel only. */
final class OpenClKernel implements DeviceKernel {
    final OpenClDevice device;
    private final GeneratedKernel generated;
    private final long program;
    private long kernel;

    OpenClKernel(OpenClDevice device, GeneratedKernel generated, long program, long kernel) {
        this.device = device;
        this.generated = generated;
        this.program = program;
        this.kernel = kernel;
    }

    @Override
    public GeneratedKernel generated() {
        return generated;
    }

    long program() {
        return program;
    }

    long handle() {
        if (kernel == 0) {
            throw new IllegalStateException("kernel " + generated.entryName() + " on opencl:" + device.index() + " is closed");
        }
        return kernel;
    }

    boolean isClosed() {
        return kernel == 0;
    }

    @Override
    public void close() {
        if (kernel == 0) {
            return;
        }
        long k = kernel;
        kernel = 0;
        device.forget(this);
        OpenClStatus.check(clReleaseKernel(k), "clReleaseKernel", "releasing kernel " + generated.entryName());
    }

    @Override
    public String toString() {
        return "kernel " + generated.entryName() + " on opencl:" + device.index();
    }
}
