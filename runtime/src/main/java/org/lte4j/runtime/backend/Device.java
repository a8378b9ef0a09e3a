package org.lte4j.runtime.backend;

import java.lang.reflect.Method;
import java.util.List;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;

/**
 * One device: memory, kernel building, and an in-order queue. Every call on the queue is
 * asynchronous unless it says otherwise; {@link #synchronize()} waits for all of it. One thread
 * drives a device at a time.
 */
public interface Device extends AutoCloseable {
    BackendKind kind();

    /** Index within its backend, as in the spec {@code opencl:N}. */
    int index();

    String name();

    /** Global memory in bytes (for the JVM: the maximum heap plus free physical memory is not tracked; report max direct). */
    long globalMemoryBytes();

    /** One line for {@code lte4j devices}: driver/platform, compute units, memory. */
    String describe();

    /**
     * Whether this is a GPU (every CUDA device; an OpenCL device of GPU type): callers choose wide
     * work-groups and large copies there, and other settings on CPU devices (PoCL, the JVM).
     */
    default boolean isGpu() {
        return kind() == BackendKind.CUDA;
    }

    /** Allocates device memory for {@code array}; fails with DeviceOutOfMemoryException when it cannot. */
    DeviceBuffer allocate(NativeArray array);

    /** Enqueues a copy host -> device. The host array must not change until the copy completes. */
    void copyToDevice(DeviceBuffer dst, NativeArray src);

    /** Enqueues a copy device -> host; the host array is valid after {@link #synchronize()}. */
    void copyToHost(NativeArray dst, DeviceBuffer src);

    /**
     * Builds a kernel for this device: compiles the Java method (the JVM backend keeps the method
     * itself) with the given specialised scalar arguments (by parameter index; may be empty).
     */
    DeviceKernel build(Method kernel, java.util.Map<Integer, Object> specialisations);

    /**
     * Enqueues a launch. {@code args} has one entry per Java parameter: a {@link DeviceBuffer} for
     * arrays, a boxed primitive for scalars, the host {@code NativeArray} as well in
     * {@code hostArrays} (the JVM backend runs on those), and null for the KernelContext.
     */
    void launch(DeviceKernel kernel, Object[] args, NativeArray[] hostArrays, WorkerGrid grid);

    /** Blocks until everything enqueued has finished. */
    void synchronize();

    /** Turns per-launch and per-transfer device timing on or off. */
    void setProfiling(boolean on);

    /** Timings recorded since the last call (only after {@link #synchronize()}); clears them. */
    List<ProfileRecord> takeProfile();

    /** Whether {@link #beginCapture()} works here (CUDA graphs). */
    default boolean supportsCapture() {
        return false;
    }

    /** Starts recording enqueued work instead of running it. */
    default void beginCapture() {
        throw new UnsupportedOperationException(kind().specName + " cannot capture launches");
    }

    /** Ends recording; the result replays all recorded work with one call. */
    default CapturedWork endCapture() {
        throw new UnsupportedOperationException(kind().specName + " cannot capture launches");
    }

    /** The largest work-group size a kernel may use on this device. */
    int maxWorkGroupSize();

    @Override
    void close();
}
