package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
import static org.lwjgl.cuda.CU.CUDA_ERROR_NOT_FOUND;
import static org.lwjgl.cuda.CU.CUDA_ERROR_OUT_OF_MEMORY;
import static org.lwjgl.cuda.CU.CUDA_SUCCESS;
import static org.lwjgl.cuda.CU.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
import static org.lwjgl.cuda.CU.CU_FUNC_ATTRIBUTE_NUM_REGS;
import static org.lwjgl.cuda.CU.CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
import static org.lwjgl.cuda.CU.CU_MEMHOSTREGISTER_PORTABLE;
import static org.lwjgl.cuda.CU.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
import static org.lwjgl.cuda.CU.CU_STREAM_NON_BLOCKING;
import static org.lwjgl.cuda.CU.cuCtxSetCurrent;
import static org.lwjgl.cuda.CU.cuDevicePrimaryCtxRelease;
import static org.lwjgl.cuda.CU.cuDevicePrimaryCtxRetain;
import static org.lwjgl.cuda.CU.cuFuncGetAttribute;
import static org.lwjgl.cuda.CU.cuGraphDestroy;
import static org.lwjgl.cuda.CU.cuGraphExecDestroy;
import static org.lwjgl.cuda.CU.cuGraphInstantiateWithFlags;
import static org.lwjgl.cuda.CU.cuGraphLaunch;
import static org.lwjgl.cuda.CU.cuLaunchKernel;
import static org.lwjgl.cuda.CU.cuLaunchKernelEx;
import static org.lwjgl.cuda.CU.cuMemAlloc;
import static org.lwjgl.cuda.CU.cuMemFree;
import static org.lwjgl.cuda.CU.cuMemGetInfo;
import static org.lwjgl.cuda.CU.cuModuleGetFunction;
import static org.lwjgl.cuda.CU.cuModuleLoadData;
import static org.lwjgl.cuda.CU.cuModuleUnload;
import static org.lwjgl.cuda.CU.cuStreamBeginCapture_v2;
import static org.lwjgl.cuda.CU.cuStreamCreate;
import static org.lwjgl.cuda.CU.cuStreamDestroy;
import static org.lwjgl.cuda.CU.cuStreamEndCapture;
import static org.lwjgl.cuda.CU.cuStreamSynchronize;
import static org.lwjgl.cuda.CU.ncuMemHostRegister;
import static org.lwjgl.cuda.CU.ncuMemHostUnregister;
import static org.lwjgl.cuda.CU.ncuMemcpyDtoHAsync;
import static org.lwjgl.cuda.CU.ncuMemcpyHtoDAsync;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.CapturedWork;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.DeviceOutOfMemoryException;
import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.KernelCompiler;
import org.lte4j.runtime.compiler.Target;
import org.lwjgl.PointerBuffer;
import org.lwjgl.cuda.CUlaunchAttribute;
import org.lwjgl.cuda.CUlaunchConfig;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * One CUDA device: its primary context, one non-blocking stream that every copy, launch and graph
 * replay goes to in order, and the buffers, kernels and graphs made on it. The context and stream
 * are created on first use, so listing devices costs nothing on the GPU.
 *
 * <p>Host arrays are ordinary (pageable) memory; {@link #pin} registers one with the driver for
 * faster copies. Work recorded between {@link #beginCapture()} and {@link #endCapture()} becomes a
 * CUDA graph; allocation, kernel building, synchronisation and profile reads are refused while
 * capturing, since the driver forbids them or they would be recorded.
 */
public final class CudaDevice implements Device {
    private final int index;
    private final CudaDeviceInfo info;
    private final NvrtcCompiler nvrtc;
    private final CudaBinaryCache cache;
    private final boolean fastMath;
    private final CudaEventTimer timer = new CudaEventTimer();

    private final Set<CudaBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<CudaKernel> kernels = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<CudaGraph> graphs = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Long, Long> pinned = new LinkedHashMap<>(); // host address -> bytes

    private long context; // 0 until first use
    private long stream;
    private boolean profiling;
    private boolean capturing;
    private int capturedOperations;
    private boolean closed;

    CudaDevice(int index, CudaDeviceInfo info, NvrtcCompiler nvrtc, CudaBinaryCache cache, boolean fastMath) {
        this.index = index;
        this.info = info;
        this.nvrtc = nvrtc;
        this.cache = cache;
        this.fastMath = fastMath;
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public String name() {
        return info.name();
    }

    /** {@code cuda:0}. */
    public String spec() {
        return "cuda:" + index;
    }

    @Override
    public long globalMemoryBytes() {
        return info.totalMemoryBytes();
    }

    public int multiprocessors() {
        return info.multiprocessors();
    }

    /** Compute capability as {@code major*10+minor}, e.g. 90 for an H100/H200. */
    public int computeCapability() {
        return info.computeCapability();
    }

    /** The architecture kernels are compiled for here: {@code sm_90}, or {@code compute_XY} when NVRTC predates the device. */
    public String compileArchitecture() {
        return nvrtc.architectureFor(info.computeCapability());
    }

    @Override
    public int maxWorkGroupSize() {
        return info.maxThreadsPerBlock();
    }

    @Override
    public String describe() {
        return spec() + "  " + info.name() + "  [CUDA driver " + info.driverVersion() + ", NVRTC " + info.nvrtcVersion()
                + "]  compute " + info.computeMajor() + "." + info.computeMinor() + ", " + info.multiprocessors()
                + " SMs, " + gib(info.totalMemoryBytes()) + " global memory, "
                + info.maxSharedMemoryPerBlock() / 1024 + " KiB shared per block, max block " + info.maxThreadsPerBlock();
    }

    @Override
    public String toString() {
        return spec() + " (" + info.name() + ")";
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public synchronized CudaBuffer allocate(NativeArray array) {
        Objects.requireNonNull(array, "array");
        refuseWhileCapturing("allocate device memory");
        bind();
        long bytes = array.byteSize();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer free = stack.mallocPointer(1);
            PointerBuffer total = stack.mallocPointer(1);
            check(cuMemGetInfo(free, total), "cuMemGetInfo", "reading free memory before allocating " + array);
            if (bytes > free.get(0)) {
                throw outOfMemory(array, bytes, free.get(0), total.get(0));
            }
            PointerBuffer pointer = stack.mallocPointer(1);
            int rc = cuMemAlloc(pointer, Math.max(1, bytes)); // CUDA refuses 0 bytes; an empty array still gets an address
            if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
                throw outOfMemory(array, bytes, free.get(0), total.get(0));
            }
            check(rc, "cuMemAlloc", "allocating " + bytes + " bytes for " + array + " on " + spec());
            CudaBuffer buffer = new CudaBuffer(this, pointer.get(0), bytes, array.elementType(), array.toString());
            buffers.add(buffer);
            return buffer;
        }
    }

    private DeviceOutOfMemoryException outOfMemory(NativeArray array, long bytes, long free, long total) {
        return new DeviceOutOfMemoryException(spec() + " (" + info.name() + ") cannot allocate " + bytes + " bytes ("
                + gib(bytes) + ") for " + array + ": " + free + " bytes (" + gib(free) + ") free of " + gib(total));
    }

    synchronized void free(CudaBuffer buffer) {
        if (capturing && !buffer.isClosed()) {
            throw new IllegalStateException("cannot free " + buffer + " while " + spec() + " is capturing: the graph may use it");
        }
        if (!buffer.markClosed()) {
            return;
        }
        buffers.remove(buffer);
        if (context != 0 && !closed) {
            bind();
            check(cuMemFree(buffer.devicePointer()), "cuMemFree", "freeing " + buffer);
        }
    }

    @Override
    public synchronized void copyToDevice(DeviceBuffer dst, NativeArray src) {
        CudaBuffer buffer = own(dst, "copyToDevice destination");
        long bytes = hostBytes(src, buffer, "copyToDevice");
        if (bytes == 0) {
            return;
        }
        bind();
        long start = timingStart();
        int rc = ncuMemcpyHtoDAsync(buffer.devicePointer(), src.segment().address(), bytes, stream);
        if (rc != CUDA_SUCCESS) {
            throw failure(rc, "cuMemcpyHtoDAsync", "copying " + src + " to " + buffer);
        }
        timingEnd(start, ProfileRecord.Kind.COPY_TO_DEVICE, src, bytes);
    }

    @Override
    public synchronized void copyToHost(NativeArray dst, DeviceBuffer src) {
        CudaBuffer buffer = own(src, "copyToHost source");
        long bytes = hostBytes(dst, buffer, "copyToHost");
        if (bytes == 0) {
            return;
        }
        bind();
        long start = timingStart();
        int rc = ncuMemcpyDtoHAsync(dst.segment().address(), buffer.devicePointer(), bytes, stream);
        if (rc != CUDA_SUCCESS) {
            throw failure(rc, "cuMemcpyDtoHAsync", "copying " + buffer + " to " + dst);
        }
        timingEnd(start, ProfileRecord.Kind.COPY_TO_HOST, dst, bytes);
    }

    private static long hostBytes(NativeArray host, CudaBuffer buffer, String what) {
        Objects.requireNonNull(host, what + " host array");
        MemorySegment segment = host.segment();
        if (!segment.isNative()) {
            throw new IllegalArgumentException(what + ": " + host + " is on the Java heap; device copies need off-heap memory");
        }
        if (host.byteSize() > buffer.byteSize()) {
            throw new IllegalArgumentException(what + ": " + host + " (" + host.byteSize() + " bytes) does not fit "
                    + buffer + " (" + buffer.byteSize() + " bytes)");
        }
        return host.byteSize();
    }

    /**
     * Page-locks {@code array}'s memory (cuMemHostRegister) so copies run at full speed and
     * asynchronously; undo with {@link #unpin} before the array is closed. Pinning twice is harmless.
     */
    public synchronized void pin(NativeArray array) {
        refuseWhileCapturing("pin host memory");
        long address = array.segment().address();
        if (pinned.containsKey(address) || array.byteSize() == 0) {
            return;
        }
        bind();
        int rc = ncuMemHostRegister(address, array.byteSize(), CU_MEMHOSTREGISTER_PORTABLE);
        if (rc != CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED) {
            check(rc, "cuMemHostRegister", "pinning " + array);
        }
        pinned.put(address, array.byteSize());
    }

    /** Undoes {@link #pin}; waits for queued work first, since a copy may still read the memory. */
    public synchronized void unpin(NativeArray array) {
        long address = array.segment().address();
        if (pinned.remove(address) == null) {
            return;
        }
        synchronize();
        check(ncuMemHostUnregister(address), "cuMemHostUnregister", "unpinning " + array);
    }

    // ---- kernels -----------------------------------------------------------------------------

    @Override
    public DeviceKernel build(Method kernel, Map<Integer, Object> specialisations) {
        GeneratedKernel generated = KernelCompiler.compile(kernel, Target.CUDA_C, specialisations == null ? Map.of() : specialisations);
        return build(generated);
    }

    /**
     * Builds already generated CUDA C: NVRTC (or the binary cache) then cuModuleLoadData. The
     * source must define {@code extern "C" __global__ void <entryName>(...)} with the parameters
     * {@link org.lte4j.runtime.compiler.ParamKind} describes.
     *
     * @throws BackendException with NVRTC's log when the source does not compile
     */
    public synchronized CudaKernel build(GeneratedKernel generated) {
        Objects.requireNonNull(generated, "generated");
        if (generated.target() != Target.CUDA_C) {
            throw new IllegalArgumentException("kernel '" + generated.entryName() + "' was generated for "
                    + generated.target() + "; " + spec() + " needs " + Target.CUDA_C);
        }
        refuseWhileCapturing("build a kernel");
        bind();
        String architecture = compileArchitecture();
        String key = CudaBinaryCache.key(generated.cacheKey(), architecture, nvrtc.version(), fastMath);
        var cached = cache.get(key, architecture);
        NvrtcCompiler.Binary binary = cached.orElseGet(() -> compileAndCache(generated, architecture, key));
        long module;
        try {
            module = loadModule(binary, generated);
        } catch (BackendException damaged) {
            if (cached.isEmpty()) {
                throw damaged;
            }
            binary = compileAndCache(generated, architecture, key); // a stale or damaged cache file
            module = loadModule(binary, generated);
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer function = stack.mallocPointer(1);
            int rc = cuModuleGetFunction(function, module, generated.entryName());
            if (rc == CUDA_ERROR_NOT_FOUND) {
                cuModuleUnload(module);
                throw new BackendException("kernel '" + generated.entryName() + "' is not in its compiled module; the"
                        + " source must define extern \"C\" __global__ void " + generated.entryName() + "(...)");
            }
            check(rc, "cuModuleGetFunction", "looking up kernel " + generated.entryName());
            IntBuffer value = stack.mallocInt(1);
            check(cuFuncGetAttribute(value, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function.get(0)),
                    "cuFuncGetAttribute", "reading the block limit of " + generated.entryName());
            int maxThreads = value.get(0);
            check(cuFuncGetAttribute(value, CU_FUNC_ATTRIBUTE_NUM_REGS, function.get(0)), "cuFuncGetAttribute",
                    "reading the registers of " + generated.entryName());
            CudaKernel k = new CudaKernel(this, generated, module, function.get(0), maxThreads, value.get(0),
                    binary.architecture());
            kernels.add(k);
            return k;
        }
    }

    private NvrtcCompiler.Binary compileAndCache(GeneratedKernel generated, String architecture, String key) {
        NvrtcCompiler.Binary b = nvrtc.compile(generated, architecture, fastMath);
        cache.put(key, b);
        return b;
    }

    private long loadModule(NvrtcCompiler.Binary binary, GeneratedKernel generated) {
        byte[] image = binary.image();
        ByteBuffer native_ = MemoryUtil.memAlloc(image.length + 1); // PTX must end in NUL; a CUBIN ignores it
        try (MemoryStack stack = MemoryStack.stackPush()) {
            native_.put(image).put((byte) 0).flip();
            PointerBuffer module = stack.mallocPointer(1);
            check(cuModuleLoadData(module, native_), "cuModuleLoadData", "loading the " + (binary.cubin() ? "CUBIN" : "PTX")
                    + " of kernel " + generated.entryName() + " (" + binary.architecture() + ") on " + spec());
            return module.get(0);
        } finally {
            MemoryUtil.memFree(native_);
        }
    }

    synchronized void unload(CudaKernel kernel) {
        if (capturing && !kernel.isClosed()) {
            throw new IllegalStateException("cannot unload " + kernel + " while " + spec() + " is capturing");
        }
        if (!kernel.markClosed()) {
            return;
        }
        kernels.remove(kernel);
        if (context != 0 && !closed) {
            bind();
            check(cuModuleUnload(kernel.module()), "cuModuleUnload", "unloading " + kernel);
        }
    }

    @Override
    public synchronized void launch(DeviceKernel kernel, Object[] args, NativeArray[] hostArrays, WorkerGrid grid) {
        CudaKernel k = own(kernel);
        GeneratedKernel g = k.generated();
        WorkerGrid effective = grid != null ? grid : defaultGrid(g, args);
        LaunchShape shape = k.shapeFor(effective);
        bind();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer params = KernelArguments.pack(g, args, this, stack);
            long start = timingStart();
            boolean dependent = info.computeMajor() >= DEPENDENT_LAUNCH_MAJOR && k.awaitsPredecessor();
            int rc = dependent
                    ? cuLaunchKernelEx(dependentLaunch(shape, stack), k.function(), params, null)
                    : cuLaunchKernel(k.function(), shape.gridX(), shape.gridY(), 1, shape.blockX(), shape.blockY(), 1, 0,
                    stream, params, null);
            if (rc != CUDA_SUCCESS) {
                throw failure(rc, dependent ? "cuLaunchKernelEx" : "cuLaunchKernel", "launching " + g.entryName() + " with " + shape.gridX() + "x"
                        + shape.gridY() + " blocks of " + shape.blockX() + "x" + shape.blockY() + " threads on " + spec());
            }
            timingEnd(start, ProfileRecord.Kind.KERNEL, g.entryName(), 0);
        }
    }

    /**
     * Compute capability from which kernels launch as programmatic dependents of the kernel before
     * them in the stream (Hopper's griddepcontrol): a launch may start its blocks while the previous
     * grid drains, instead of after it has ended.
     */
    static final int DEPENDENT_LAUNCH_MAJOR = 9;

    /**
     * A launch that lets the kernel start before the previous one in the stream has finished. Safe
     * because every CUDA kernel begins by waiting for its predecessor's grid to complete and its
     * memory to be visible ({@code griddepcontrol.wait}, emitted by the kernel compiler before any
     * other statement): what overlaps is only the launch and the blocks' placement on the SMs, which
     * otherwise leave a gap between every two kernels of a decode step. Recorded as a programmatic
     * edge when the stream is being captured into a CUDA graph.
     */
    private CUlaunchConfig dependentLaunch(LaunchShape shape, MemoryStack stack) {
        CUlaunchAttribute.Buffer attributes = CUlaunchAttribute.calloc(1, stack);
        attributes.get(0).id(CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION).value().programmaticStreamSerializationAllowed(1);
        return CUlaunchConfig.calloc(stack)
                .gridDimX(shape.gridX()).gridDimY(shape.gridY()).gridDimZ(1)
                .blockDimX(shape.blockX()).blockDimY(shape.blockY()).blockDimZ(1)
                .sharedMemBytes(0).hStream(stream).attrs(attributes);
    }

    /** Without a grid, a loop-style kernel covers its loop bound argument. */
    private static WorkerGrid defaultGrid(GeneratedKernel g, Object[] args) {
        if (g.usesContext() || g.loopBoundParam().isEmpty()) {
            throw new IllegalArgumentException("kernel '" + g.entryName() + "' needs an explicit WorkerGrid"
                    + (g.usesContext() ? " (it uses KernelContext)" : " (it has no @Parallel loop bound parameter)"));
        }
        int p = g.loopBoundParam().getAsInt();
        if (args == null || p >= args.length || !(args[p] instanceof Integer n)) {
            throw new IllegalArgumentException("kernel '" + g.entryName() + "': the loop bound parameter " + p
                    + " must be an int to size the launch");
        }
        return WorkerGrid.of(Math.max(1, n));
    }

    // ---- queue -------------------------------------------------------------------------------

    @Override
    public synchronized void synchronize() {
        refuseWhileCapturing("synchronize");
        if (context == 0) {
            ensureOpen();
            return;
        }
        bind();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize", "waiting for the work queued on " + spec()
                + " (an error here comes from an earlier copy or kernel)");
    }

    @Override
    public synchronized void setProfiling(boolean on) {
        if (!on && profiling && context != 0) {
            bind();
            timer.discard();
        }
        profiling = on;
    }

    @Override
    public synchronized List<ProfileRecord> takeProfile() {
        refuseWhileCapturing("read profiles");
        if (context == 0) {
            return List.of();
        }
        bind();
        return timer.take(spec());
    }

    private long timingStart() {
        return profiling && !capturing ? timer.start(stream) : 0;
    }

    /** {@code label} is a String or an array whose name is made only when profiling (it costs per call). */
    private void timingEnd(long start, ProfileRecord.Kind kind, Object label, long bytes) {
        if (capturing) {
            capturedOperations++;
        } else if (start != 0) {
            timer.end(stream, start, kind, label.toString(), bytes);
        }
    }

    // ---- graphs ------------------------------------------------------------------------------

    @Override
    public boolean supportsCapture() {
        return true;
    }

    /**
     * Starts recording copies and launches into a CUDA graph (thread-local capture mode: only this
     * thread's calls are checked, so other threads' CUDA work is unaffected).
     */
    @Override
    public synchronized void beginCapture() {
        if (capturing) {
            throw new IllegalStateException(spec() + " is already capturing");
        }
        bind();
        check(cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture",
                "starting a capture on " + spec());
        capturing = true;
        capturedOperations = 0;
    }

    @Override
    public synchronized CapturedWork endCapture() {
        if (!capturing) {
            throw new IllegalStateException(spec() + " is not capturing; call beginCapture() first");
        }
        bind();
        capturing = false;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer graph = stack.mallocPointer(1);
            check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture", "ending the capture on " + spec());
            PointerBuffer exec = stack.mallocPointer(1);
            int rc = cuGraphInstantiateWithFlags(exec, graph.get(0), 0);
            if (rc != CUDA_SUCCESS) {
                cuGraphDestroy(graph.get(0));
                check(rc, "cuGraphInstantiateWithFlags", "instantiating the graph captured on " + spec());
            }
            CudaGraph g = new CudaGraph(this, graph.get(0), exec.get(0), capturedOperations);
            graphs.add(g);
            return g;
        }
    }

    synchronized void launchGraph(CudaGraph graph) {
        refuseWhileCapturing("replay captured work");
        bind();
        long start = timingStart();
        int rc = cuGraphLaunch(graph.executable(), stream);
        if (rc != CUDA_SUCCESS) {
            throw failure(rc, "cuGraphLaunch", "replaying a graph of " + graph.operations() + " operations on " + spec());
        }
        timingEnd(start, ProfileRecord.Kind.KERNEL, graph, 0);
    }

    synchronized void destroyGraph(CudaGraph graph) {
        if (!graph.markClosed()) {
            return;
        }
        graphs.remove(graph);
        if (context != 0 && !closed) {
            bind();
            cuGraphExecDestroy(graph.executable());
            cuGraphDestroy(graph.graph());
        }
    }

    /** After a failed call inside a capture the capture is void; end it so the stream works again. */
    private void abandonCapture() {
        capturing = false;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer graph = stack.mallocPointer(1);
            graph.put(0, 0L);
            if (cuStreamEndCapture(stream, graph) == CUDA_SUCCESS && graph.get(0) != 0) {
                cuGraphDestroy(graph.get(0));
            }
        }
    }

    // ---- lifetime ----------------------------------------------------------------------------

    /** Frees every buffer, kernel and graph made here, then the stream and the context. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (context != 0) {
            bind();
            if (capturing) {
                abandonCapture();
            }
            cuStreamSynchronize(stream); // errors were reported by synchronize(); teardown goes on regardless
            for (CudaGraph g : new ArrayList<>(graphs)) {
                destroyGraph(g);
            }
            for (CudaKernel k : new ArrayList<>(kernels)) {
                unload(k);
            }
            for (CudaBuffer b : new ArrayList<>(buffers)) {
                free(b);
            }
            for (long address : pinned.keySet()) {
                ncuMemHostUnregister(address);
            }
            pinned.clear();
            timer.close();
            cuStreamDestroy(stream);
            cuDevicePrimaryCtxRelease(info.ordinal());
            context = 0;
            stream = 0;
        }
        closed = true;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** The stream handle, for the smoke check's raw-driver comparison; opens the context if needed. */
    synchronized long streamForDiagnostics() {
        bind();
        return stream;
    }

    synchronized long contextForDiagnostics() {
        bind();
        return context;
    }

    /**
     * Makes this device's context current on the calling thread. Done on every call rather than
     * remembered per thread: a virtual thread may resume on another carrier thread, and the driver's
     * current context belongs to the carrier.
     */
    private void bind() {
        ensureOpen();
        if (context == 0) {
            open();
            return;
        }
        int rc = cuCtxSetCurrent(context);
        if (rc != CUDA_SUCCESS) {
            throw failure(rc, "cuCtxSetCurrent", "making the context of " + spec() + " current");
        }
    }

    private void open() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ctx = stack.mallocPointer(1);
            CudaStatus.check(cuDevicePrimaryCtxRetain(ctx, info.ordinal()), "cuDevicePrimaryCtxRetain",
                    "opening the context of " + spec());
            CudaStatus.check(cuCtxSetCurrent(ctx.get(0)), "cuCtxSetCurrent", "making the context of " + spec() + " current");
            PointerBuffer s = stack.mallocPointer(1);
            int rc = cuStreamCreate(s, CU_STREAM_NON_BLOCKING);
            if (rc != CUDA_SUCCESS) {
                cuDevicePrimaryCtxRelease(info.ordinal());
                CudaStatus.check(rc, "cuStreamCreate", "creating the stream of " + spec());
            }
            context = ctx.get(0);
            stream = s.get(0);
        }
    }

    /** For calls off the hot path; the hot ones test the result first, so their message is built only on failure. */
    private void check(int rc, String call, String doing) {
        if (rc != CUDA_SUCCESS) {
            throw failure(rc, call, doing);
        }
    }

    private BackendException failure(int rc, String call, String doing) {
        String msg = CudaStatus.message(rc, call, doing);
        if (capturing) {
            abandonCapture();
            msg += " (inside a capture, which is abandoned: " + capturedOperations + " operations were recorded)";
        }
        return new BackendException(msg);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(spec() + " was closed");
        }
    }

    private void refuseWhileCapturing(String what) {
        ensureOpen();
        if (capturing) {
            throw new IllegalStateException("cannot " + what + " on " + spec() + " while capturing; end the capture first");
        }
    }

    private CudaBuffer own(DeviceBuffer buffer, String what) {
        if (!(buffer instanceof CudaBuffer b) || b.device() != this) {
            throw new IllegalArgumentException(what + ": " + buffer + " is not a buffer of " + spec());
        }
        if (b.isClosed()) {
            throw new IllegalArgumentException(what + ": " + b + " was closed");
        }
        return b;
    }

    private CudaKernel own(DeviceKernel kernel) {
        if (!(kernel instanceof CudaKernel k) || k.device() != this) {
            throw new IllegalArgumentException(kernel + " was not built for " + spec());
        }
        if (k.isClosed()) {
            throw new IllegalArgumentException(k + " was closed");
        }
        return k;
    }

    static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
