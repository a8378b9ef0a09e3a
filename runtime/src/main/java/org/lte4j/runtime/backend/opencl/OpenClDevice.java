package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_FALSE;
import static org.lwjgl.opencl.CL10.CL_KERNEL_NUM_ARGS;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.CL_QUEUE_PROFILING_ENABLE;
import static org.lwjgl.opencl.CL10.clFinish;
import static org.lwjgl.opencl.CL10.clReleaseCommandQueue;
import static org.lwjgl.opencl.CL10.clReleaseContext;
import static org.lwjgl.opencl.CL10.clReleaseKernel;
import static org.lwjgl.opencl.CL10.nclCreateBuffer;
import static org.lwjgl.opencl.CL10.nclCreateCommandQueue;
import static org.lwjgl.opencl.CL10.nclCreateContext;
import static org.lwjgl.opencl.CL10.nclCreateKernel;
import static org.lwjgl.opencl.CL10.nclEnqueueNDRangeKernel;
import static org.lwjgl.opencl.CL10.nclEnqueueReadBuffer;
import static org.lwjgl.opencl.CL10.nclEnqueueWriteBuffer;
import static org.lwjgl.opencl.CL10.nclGetKernelInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.DeviceOutOfMemoryException;
import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.KernelCompiler;
import org.lte4j.runtime.compiler.ParamKind;
import org.lte4j.runtime.compiler.Target;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * One OpenCL device with its own context and in-order queue (created on first use). Everything
 * enqueued runs asynchronously in order; only {@link #synchronize()} waits.
 */
public final class OpenClDevice implements Device {
    private final int index;
    private final OpenClDeviceInfo info;
    private final OpenClProgramCache programs;
    private final OpenClProfiler profiler = new OpenClProfiler();
    private final Set<OpenClBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<OpenClKernel> kernels = Collections.newSetFromMap(new IdentityHashMap<>());

    private long context;
    private long queue;
    private boolean queueProfiles;
    private boolean profiling;
    private boolean closed;
    private long allocatedBytes;

    OpenClDevice(int index, OpenClDeviceInfo info, Path cacheDirectory) {
        this.index = index;
        this.info = info;
        this.programs = new OpenClProgramCache(info, cacheDirectory);
    }

    @Override
    public BackendKind kind() {
        return BackendKind.OPENCL;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public String name() {
        return info.name();
    }

    /** Everything read from the driver at discovery. */
    public OpenClDeviceInfo info() {
        return info;
    }

    @Override
    public boolean isGpu() {
        return info.type() == OpenClDeviceInfo.Type.GPU;
    }

    @Override
    public long globalMemoryBytes() {
        return info.globalMemoryBytes();
    }

    @Override
    public int maxWorkGroupSize() {
        return info.maxWorkGroupSize();
    }

    @Override
    public String describe() {
        return "opencl:" + index + "  " + info.name() + "  [" + info.type() + ", " + info.platformName() + ", " + info.version()
                + ", vendor " + info.vendor() + ", driver " + info.driverVersion() + "]  "
                + info.computeUnits() + " compute units, " + OpenClDeviceInfo.bytes(info.globalMemoryBytes())
                + " global memory (" + OpenClDeviceInfo.bytes(info.maxAllocBytes()) + " per buffer), "
                + OpenClDeviceInfo.bytes(info.localMemoryBytes()) + " local, max work-group " + info.maxWorkGroupSize();
    }

    @Override
    public String toString() {
        return "opencl:" + index + " (" + info.name() + ")";
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public DeviceBuffer allocate(NativeArray array) {
        Objects.requireNonNull(array, "array");
        ensureOpen();
        long size = array.byteSize();
        String label = array.toString();
        if (size > info.maxAllocBytes() || size > info.globalMemoryBytes()) {
            throw outOfMemory(size, label, size > info.maxAllocBytes() ? "exceeds" : "fits", null);
        }
        if (size == 0) {
            return track(new OpenClBuffer(this, 0, 0, array.elementType(), label));
        }
        long mem;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long err = stack.nmalloc(4, 4);
            mem = nclCreateBuffer(context(), CL_MEM_READ_WRITE, size, 0, err);
            int code = MemoryUtil.memGetInt(err);
            if (isOutOfMemory(code)) {
                throw outOfMemory(size, label, "fits", OpenClStatus.describe(code));
            }
            OpenClStatus.check(code, "clCreateBuffer", "allocating " + size + " bytes for " + label + " on " + this);
        }
        allocatedBytes += size;
        return track(new OpenClBuffer(this, mem, size, array.elementType(), label));
    }

    @Override
    public void copyToDevice(DeviceBuffer dst, NativeArray src) {
        OpenClBuffer buffer = checkCopy(dst, src, "copyToDevice");
        long size = src.byteSize();
        if (size == 0) {
            return;
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long event = profiling ? stack.nmalloc(8, 8) : 0;
            int code = nclEnqueueWriteBuffer(queue(), buffer.handle(), CL_FALSE, 0, size, src.segment().address(),
                    0, 0, event);
            checkEnqueue(code, "clEnqueueWriteBuffer", "copying " + src + " to " + buffer, size);
            if (event != 0) {
                profiler.add(MemoryUtil.memGetAddress(event), ProfileRecord.Kind.COPY_TO_DEVICE, buffer.label, size);
            }
        }
    }

    @Override
    public void copyToHost(NativeArray dst, DeviceBuffer src) {
        OpenClBuffer buffer = checkCopy(src, dst, "copyToHost");
        if (dst.segment().isReadOnly()) {
            throw new IllegalArgumentException("copyToHost on " + this + ": the host array " + dst
                    + " is read-only (a read-only mapped file?)");
        }
        long size = dst.byteSize();
        if (size == 0) {
            return;
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long event = profiling ? stack.nmalloc(8, 8) : 0;
            int code = nclEnqueueReadBuffer(queue(), buffer.handle(), CL_FALSE, 0, size, dst.segment().address(),
                    0, 0, event);
            checkEnqueue(code, "clEnqueueReadBuffer", "copying " + buffer + " to the host array " + dst, size);
            if (event != 0) {
                profiler.add(MemoryUtil.memGetAddress(event), ProfileRecord.Kind.COPY_TO_HOST, buffer.label, size);
            }
        }
    }

    private OpenClBuffer checkCopy(DeviceBuffer deviceSide, NativeArray host, String op) {
        ensureOpen();
        if (deviceSide == null || host == null) {
            throw new IllegalArgumentException(op + " on " + this + ": the " + (host == null ? "host array" : "device buffer")
                    + " is null");
        }
        if (!(deviceSide instanceof OpenClBuffer buffer) || buffer.device != this) {
            throw new IllegalArgumentException(op + " on " + this + ": " + deviceSide
                    + " was not allocated on this device");
        }
        if (buffer.isClosed()) {
            throw new IllegalArgumentException(op + " on " + this + ": device buffer " + buffer + " is closed");
        }
        if (host.byteSize() != buffer.byteSize()) {
            throw new IllegalArgumentException(op + " on " + this + ": the host array " + host + " has "
                    + host.byteSize() + " bytes but the device buffer " + buffer + " holds " + buffer.byteSize());
        }
        if (!host.segment().isNative()) {
            throw new IllegalArgumentException(op + " on " + this + ": the host array " + host
                    + " lives on the Java heap; device copies need off-heap (native) memory");
        }
        return buffer;
    }

    private static boolean isOutOfMemory(int code) {
        return code == OpenClStatus.CL_MEM_OBJECT_ALLOCATION_FAILURE.code
                || code == OpenClStatus.CL_OUT_OF_RESOURCES.code
                || code == OpenClStatus.CL_OUT_OF_HOST_MEMORY.code;
    }

    /** Drivers that allocate lazily (PoCL, NVIDIA) report a failed allocation at its first use. */
    private void checkEnqueue(int code, String call, String doing, long bytes) {
        if (isOutOfMemory(code)) {
            throw new DeviceOutOfMemoryException(call + " failed with " + OpenClStatus.describe(code) + " while "
                    + doing + " on " + this + " (" + bytes + " bytes; the device has "
                    + OpenClDeviceInfo.bytes(info.globalMemoryBytes()) + " of global memory, lte4j holds "
                    + OpenClDeviceInfo.bytes(allocatedBytes) + ")");
        }
        OpenClStatus.check(code, call, doing + " on " + this);
    }

    private DeviceOutOfMemoryException outOfMemory(long size, String label, String verb, String driverError) {
        return new DeviceOutOfMemoryException("cannot allocate " + size + " bytes (" + OpenClDeviceInfo.bytes(size)
                + ") for " + label + " on " + this
                + (driverError == null ? "" : ": clCreateBuffer failed with " + driverError)
                + "; the device's largest buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE) is " + info.maxAllocBytes() + " bytes ("
                + OpenClDeviceInfo.bytes(info.maxAllocBytes()) + "), its global memory " + info.globalMemoryBytes()
                + " bytes (" + OpenClDeviceInfo.bytes(info.globalMemoryBytes()) + "), and lte4j already holds "
                + OpenClDeviceInfo.bytes(allocatedBytes) + " there");
    }

    // ---- kernels -----------------------------------------------------------------------------

    /** Compiles the Java kernel to OpenCL C and builds it (through the program caches). */
    @Override
    public DeviceKernel build(Method kernel, Map<Integer, Object> specialisations) {
        return build(KernelCompiler.compile(kernel, Target.OPENCL_C, specialisations == null ? Map.of() : specialisations));
    }

    /**
     * Builds already generated OpenCL C: from this device's memory cache, else from a cached
     * binary on disk, else from source (then cached both ways).
     */
    public DeviceKernel build(GeneratedKernel generated) {
        ensureOpen();
        checkTarget(generated);
        long program = programs.program(context(), generated, "kernel " + generated.entryName() + " on " + this);
        return createKernel(generated, program);
    }

    /**
     * Loads a program binary produced offline (a vendor's FPGA compiler, or {@link #writeBinary}
     * here) for a kernel whose interface {@code generated} describes. The binary must be for this
     * device and driver.
     */
    public DeviceKernel loadBinary(GeneratedKernel generated, Path binaryFile) {
        ensureOpen();
        checkTarget(generated);
        long program = programs.loadBinary(context(), binaryFile,
                "kernel " + generated.entryName() + " from " + binaryFile + " on " + this);
        return createKernel(generated, program);
    }

    /** Writes the device binary of a built kernel's program (what {@link #loadBinary} reads). */
    public Path writeBinary(DeviceKernel kernel, Path file) {
        OpenClKernel k = own(kernel);
        byte[] binary = OpenClPrograms.binaryOf(k.program(), k.toString());
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.write(file, binary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the OpenCL program binary " + file + ": " + e.getMessage(), e);
        }
    }

    OpenClProgramCache.Origin lastBuildOrigin() {
        return programs.lastOrigin();
    }

    private OpenClKernel createKernel(GeneratedKernel g, long program) {
        long kernel;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long err = stack.nmalloc(4, 4);
            ByteBuffer name = stack.ASCII(g.entryName());
            kernel = nclCreateKernel(program, MemoryUtil.memAddress(name), err);
            int code = MemoryUtil.memGetInt(err);
            if (code == OpenClStatus.CL_INVALID_KERNEL_NAME.code) {
                throw new BackendException("clCreateKernel failed with " + OpenClStatus.describe(code)
                        + ": the program built for " + this + " has no __kernel named '" + g.entryName() + "'");
            }
            OpenClStatus.check(code, "clCreateKernel", "creating kernel " + g.entryName() + " on " + this);
            long numArgs = stack.nmalloc(4, 4);
            OpenClStatus.check(nclGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, 4, numArgs, 0), "clGetKernelInfo",
                    "reading CL_KERNEL_NUM_ARGS of kernel " + g.entryName());
            long expected = g.params().stream().filter(p -> p != ParamKind.CONTEXT).count();
            int declared = MemoryUtil.memGetInt(numArgs);
            if (declared != expected) {
                clReleaseKernel(kernel);
                throw new BackendException("kernel " + g.entryName() + " declares " + declared
                        + " arguments in its OpenCL C source, but its Java parameters " + g.params()
                        + " give " + expected + " (every parameter but the KernelContext)");
            }
        }
        OpenClKernel k = new OpenClKernel(this, g, program, kernel);
        kernels.add(k);
        return k;
    }

    private static void checkTarget(GeneratedKernel g) {
        Objects.requireNonNull(g, "generated kernel");
        if (g.target() != Target.OPENCL_C) {
            throw new IllegalArgumentException("kernel " + g.entryName() + " was generated for " + g.target()
                    + "; the OpenCL backend needs " + Target.OPENCL_C);
        }
    }

    private OpenClKernel own(DeviceKernel kernel) {
        if (!(kernel instanceof OpenClKernel k) || k.device != this) {
            throw new IllegalArgumentException(kernel + " was not built on " + this);
        }
        if (k.isClosed()) {
            throw new IllegalArgumentException(k + " is closed");
        }
        return k;
    }

    // ---- launches ----------------------------------------------------------------------------

    @Override
    public void launch(DeviceKernel kernel, Object[] args, NativeArray[] hostArrays, WorkerGrid grid) {
        ensureOpen();
        if (kernel == null) {
            throw new IllegalArgumentException("launch on " + this + ": the kernel is null");
        }
        OpenClKernel k = own(kernel);
        String name = k.generated().entryName();
        if (grid == null) {
            throw new IllegalArgumentException("kernel " + name + ": the launch grid is null");
        }
        if (k.generated().usesBarrier() && !grid.hasLocalSize()) {
            // with a NULL local size the driver picks any work-group size, which breaks barrier arithmetic
            throw new IllegalArgumentException("kernel " + name + " uses barriers, so its grid needs an explicit"
                    + " work-group size; got " + grid);
        }
        long groupSize = (long) grid.localX() * Math.max(1, grid.localY());
        if (grid.hasLocalSize() && groupSize > info.maxWorkGroupSize()) {
            throw new IllegalArgumentException("kernel " + name + ": work-group " + grid.localX() + "x"
                    + Math.max(1, grid.localY()) + " has " + groupSize + " work-items; " + this + " allows at most "
                    + info.maxWorkGroupSize());
        }
        OpenClArguments.set(k, args, hostArrays);
        int dims = grid.globalY() > 1 || grid.localY() > 1 ? 2 : 1;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long global = stack.nmalloc(8, 16);
            MemoryUtil.memPutAddress(global, grid.globalX());
            MemoryUtil.memPutAddress(global + 8, grid.globalY());
            long local = 0;
            if (grid.hasLocalSize()) {
                local = stack.nmalloc(8, 16);
                MemoryUtil.memPutAddress(local, grid.localX());
                MemoryUtil.memPutAddress(local + 8, Math.max(1, grid.localY()));
            }
            long event = profiling ? stack.nmalloc(8, 8) : 0;
            int code = nclEnqueueNDRangeKernel(queue(), k.handle(), dims, 0, global, local, 0, 0, event);
            checkEnqueue(code, "clEnqueueNDRangeKernel", "launching kernel " + name + " with grid " + grid, 0);
            if (event != 0) {
                profiler.add(MemoryUtil.memGetAddress(event), ProfileRecord.Kind.KERNEL, name, 0);
            }
        }
    }

    @Override
    public void synchronize() {
        ensureOpen();
        if (queue != 0) {
            OpenClStatus.check(clFinish(queue), "clFinish", "waiting for the queue of " + this);
        }
    }

    // ---- profiling ---------------------------------------------------------------------------

    @Override
    public void setProfiling(boolean on) {
        ensureOpen();
        profiling = on;
    }

    @Override
    public List<ProfileRecord> takeProfile() {
        ensureOpen();
        return profiler.take();
    }

    // ---- lifetime ----------------------------------------------------------------------------

    void forget(OpenClBuffer buffer) {
        if (buffers.remove(buffer)) {
            allocatedBytes -= buffer.byteSize();
        }
    }

    void forget(OpenClKernel kernel) {
        kernels.remove(kernel);
    }

    /** Releases every buffer, kernel, program, the queue and the context; the device cannot be used after. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (queue != 0) {
            clFinish(queue);
        }
        profiler.releaseAll();
        // best effort: one failed release must not leak the rest
        RuntimeException first = null;
        List<AutoCloseable> owned = new ArrayList<>(kernels);
        owned.addAll(buffers);
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                first = first == null ? new BackendException("releasing " + this + ": " + e.getMessage(), e) : first;
            }
        }
        programs.releaseAll();
        if (queue != 0) {
            clReleaseCommandQueue(queue);
            queue = 0;
        }
        if (context != 0) {
            clReleaseContext(context);
            context = 0;
        }
        if (first != null) {
            throw first;
        }
    }

    private OpenClBuffer track(OpenClBuffer b) {
        buffers.add(b);
        return b;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private long context() {
        if (context == 0) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                long devices = stack.nmalloc(8, 8);
                long err = stack.nmalloc(4, 4);
                MemoryUtil.memPutAddress(devices, info.deviceId());
                long ctx = nclCreateContext(0, 1, devices, 0, 0, err);
                OpenClStatus.check(MemoryUtil.memGetInt(err), "clCreateContext", "opening " + this);
                context = ctx;
            }
        }
        return context;
    }

    /** The in-order queue, recreated with CL_QUEUE_PROFILING_ENABLE when profiling is switched on. */
    private long queue() {
        if (queue != 0 && queueProfiles != profiling && profiling) {
            OpenClStatus.check(clFinish(queue), "clFinish", "draining the queue of " + this + " to enable profiling");
            clReleaseCommandQueue(queue);
            queue = 0;
        }
        if (queue == 0) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                long err = stack.nmalloc(4, 4);
                long properties = profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
                long q = nclCreateCommandQueue(context(), info.deviceId(), properties, err);
                OpenClStatus.check(MemoryUtil.memGetInt(err), "clCreateCommandQueue", "opening the queue of " + this);
                queue = q;
                queueProfiles = profiling;
            }
        }
        return queue;
    }
}
