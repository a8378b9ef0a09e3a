package org.lte4j.runtime.compiler;

import static org.lwjgl.opencl.CL10.*;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * Builds generated OpenCL C on the first OpenCL device (PoCL here) and runs it on real buffers,
 * straight through LWJGL, independent of the OpenCL backend. Arrays are copied in, and copied back
 * into the same Java arrays after the launch.
 */
final class ClRunner {
    private static ClRunner instance;
    private final long device;
    private final long context;
    private final long queue;

    private ClRunner(long device, long context, long queue) {
        this.device = device;
        this.context = context;
        this.queue = queue;
    }

    static synchronized ClRunner get() {
        if (instance == null) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer n = stack.mallocInt(1);
                check(clGetPlatformIDs(null, n), "clGetPlatformIDs");
                if (n.get(0) == 0) throw new IllegalStateException("no OpenCL platform");
                PointerBuffer platforms = stack.mallocPointer(n.get(0));
                check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
                PointerBuffer devices = stack.mallocPointer(1);
                check(clGetDeviceIDs(platforms.get(0), CL_DEVICE_TYPE_ALL, devices, (IntBuffer) null), "clGetDeviceIDs");
                long dev = devices.get(0);
                IntBuffer err = stack.mallocInt(1);
                PointerBuffer props = stack.mallocPointer(3).put(CL_CONTEXT_PLATFORM).put(platforms.get(0)).put(0).flip();
                long ctx = clCreateContext(props, dev, null, 0, err);
                check(err.get(0), "clCreateContext");
                long q = clCreateCommandQueue(ctx, dev, 0, err);
                check(err.get(0), "clCreateCommandQueue");
                instance = new ClRunner(dev, ctx, q);
            }
        }
        return instance;
    }

    private static void check(int code, String what) {
        if (code != CL_SUCCESS) throw new IllegalStateException(what + " failed: " + code);
    }

    /** Builds the kernel; a build failure throws with the compiler log and the source. */
    long build(GeneratedKernel k) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long program = clCreateProgramWithSource(context, k.source(), err);
            check(err.get(0), "clCreateProgramWithSource");
            int rc = clBuildProgram(program, device, "", null, 0);
            if (rc != CL_SUCCESS) {
                PointerBuffer size = stack.mallocPointer(1);
                clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size);
                ByteBuffer log = stack.malloc((int) size.get(0));
                clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log, null);
                byte[] bytes = new byte[log.remaining()];
                log.get(bytes);
                throw new AssertionError("OpenCL build failed (" + rc + "):\n" + new String(bytes).trim() + "\n--- source ---\n" + k.source());
            }
            long kernel = clCreateKernel(program, k.entryName(), err);
            check(err.get(0), "clCreateKernel " + k.entryName());
            return kernel;
        }
    }

    /** Runs {@code k} over {@code globalX x globalY} work-items (local size 0 = the driver's choice). */
    void run(GeneratedKernel k, Object[] args, int globalX, int globalY, int localX, int localY) {
        long kernel = build(k);
        List<long[]> buffers = new ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            int index = 0;
            for (Object a : args) {
                switch (a) {
                    case KernelContext c -> {
                        continue;
                    }
                    case NativeArray arr -> {
                        ByteBuffer host = arr.segment().asByteBuffer();
                        long mem = arr.byteSize() == 0 ? clCreateBuffer(context, CL_MEM_READ_WRITE, 4, err)
                                : clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, host, err);
                        check(err.get(0), "clCreateBuffer");
                        buffers.add(new long[]{mem, index});
                        check(clSetKernelArg1p(kernel, index, mem), "clSetKernelArg " + index);
                    }
                    case Integer i -> check(clSetKernelArg1i(kernel, index, i), "arg " + index);
                    case Boolean b -> check(clSetKernelArg1i(kernel, index, b ? 1 : 0), "arg " + index);
                    case Long l -> check(clSetKernelArg1l(kernel, index, l), "arg " + index);
                    case Float f -> check(clSetKernelArg1f(kernel, index, f), "arg " + index);
                    case Double d -> check(clSetKernelArg1d(kernel, index, d), "arg " + index);
                    default -> throw new IllegalArgumentException("argument " + a);
                }
                index++;
            }
            PointerBuffer global = stack.mallocPointer(2).put(globalX).put(globalY).flip();
            PointerBuffer local = localX > 0 ? stack.mallocPointer(2).put(localX).put(Math.max(1, localY)).flip() : null;
            check(clEnqueueNDRangeKernel(queue, kernel, globalY > 1 || localY > 1 ? 2 : 1, null, global, local, null, null), "clEnqueueNDRangeKernel");
            check(clFinish(queue), "clFinish");
            int bufferIndex = 0;
            for (Object a : args) {
                if (a instanceof NativeArray arr) {
                    long mem = buffers.get(bufferIndex++)[0];
                    if (arr.byteSize() > 0) {
                        check(clEnqueueReadBuffer(queue, mem, true, 0, arr.segment().asByteBuffer(), null, null), "clEnqueueReadBuffer");
                    }
                    clReleaseMemObject(mem);
                }
            }
        } finally {
            long program = 0;
            try (MemoryStack stack = MemoryStack.stackPush()) {
                PointerBuffer p = stack.mallocPointer(1);
                clGetKernelInfo(kernel, CL_KERNEL_PROGRAM, p, null);
                program = p.get(0);
            }
            clReleaseKernel(kernel);
            if (program != 0) clReleaseProgram(program);
        }
    }
}
