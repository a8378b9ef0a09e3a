package org.lte4j.runtime.api;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The work-item's view of an NDRange launch, for kernels written in "kernel style" (TornadoVM's
 * KernelContext). The compiler turns field reads into {@code get_global_id(0)} /
 * {@code blockIdx.x*blockDim.x+threadIdx.x} and friends, and method calls into barriers, local
 * (shared) memory and atomics. On the JVM backend each work-item gets its own instance and the
 * work-group shares a {@link WorkGroup}, so barriers and local arrays keep their device meaning.
 */
public final class KernelContext {
    public final int globalIdx;
    public final int globalIdy;
    public final int localIdx;
    public final int localIdy;
    public final int groupIdx;
    public final int groupIdy;
    public final int globalGroupSizeX;
    public final int globalGroupSizeY;
    public final int localGroupSizeX;
    public final int localGroupSizeY;

    private final WorkGroup group;
    private int nextLocalArray;

    /** Placeholder context passed when declaring a task; the backend supplies the real one. */
    public KernelContext() {
        this(0, 0, 0, 0, 1, 1, 1, 1, null);
    }

    /** Used by the JVM backend: one context per work-item. */
    public KernelContext(int globalIdx, int globalIdy, int localIdx, int localIdy,
                         int globalGroupSizeX, int globalGroupSizeY, int localGroupSizeX, int localGroupSizeY,
                         WorkGroup group) {
        this.globalIdx = globalIdx;
        this.globalIdy = globalIdy;
        this.localIdx = localIdx;
        this.localIdy = localIdy;
        this.localGroupSizeX = localGroupSizeX;
        this.localGroupSizeY = localGroupSizeY;
        this.groupIdx = globalIdx / localGroupSizeX;
        this.groupIdy = globalIdy / localGroupSizeY;
        this.globalGroupSizeX = globalGroupSizeX;
        this.globalGroupSizeY = globalGroupSizeY;
        this.group = group;
    }

    /** Waits until every work-item of the work-group arrives; orders local and global memory. */
    public void localBarrier() {
        if (group != null) {
            group.barrier();
        }
    }

    /**
     * Marks where this kernel starts to depend on the kernel launched before it. On CUDA devices
     * of compute capability 9.0 and later the backend launches each kernel as a programmatic
     * dependent of the previous one, so its work-groups may start while that kernel still runs;
     * a kernel waits for it at its first statement, unless it calls this method, in which case
     * it waits here. What runs before the call may only read memory that no kernel writes while
     * the graph runs (weights uploaded once) or that kernels launched two or more before this one
     * wrote (a kernel lets the next one start only once each of its work-groups has passed its own
     * wait, so by then every kernel before it has completed), and must not write: it overlaps the
     * previous kernel's tail, which is what it is for (weight loads issued early). Every work-item must
     * reach the call. Call it in the kernel method itself. A no-op on the JVM and on OpenCL,
     * whose queues run kernels one after another.
     */
    public void awaitPrecedingKernel() {
    }

    /**
     * Orders this work-item's global-memory writes before its later global accesses, across the
     * whole device (CUDA {@code __threadfence()}, OpenCL {@code mem_fence(CLK_GLOBAL_MEM_FENCE)}).
     * With an atomic ticket it lets the last work-group of a launch read what every other group
     * wrote: each item fences after its writes, the group takes a ticket after a barrier, and the
     * group that draws the last one fences again before it reads.
     */
    public void globalMemoryFence() {
        VarHandle.fullFence();
    }

    /**
     * Asks the device to bring {@code count} elements of {@code array} from {@code index} on into
     * its cache, without waiting for them and without changing any result (CUDA on compute 9.0+:
     * one bulk L2 prefetch, {@code cp.async.bulk.prefetch.L2}; older CUDA devices: a
     * {@code prefetch.global.L2} per 128-byte line; OpenCL: {@code prefetch}). Issued before
     * {@link #awaitPrecedingKernel}, it lets a work-group name data it will read while the
     * preceding kernel still runs. Measure before using it: on the H200, GEMV groups that
     * prefetched their whole rows ran 12-18% slower, and a one-group kernel that prefetched 16 MB
     * took 65 us for it (docs/PERF.md). The range must lie inside the array; the JVM backend
     * checks that and otherwise does nothing.
     */
    public void prefetchToCache(NativeArray array, long index, int count) {
        long length = array.getSize();
        if (index < 0 || count < 0 || index + count > length) {
            throw new IndexOutOfBoundsException("prefetch of " + count + " elements from " + index + " in an array of " + length);
        }
    }

    /** Same as {@link #localBarrier()}; named after OpenCL's global-fence barrier. */
    public void globalBarrier() {
        localBarrier();
    }

    /** An array in work-group local (shared) memory; {@code size} must be a compile-time constant. */
    public float[] allocateFloatLocalArray(int size) {
        int ordinal = nextLocalArray++;
        return group == null ? new float[size] : group.localArray(ordinal, () -> new float[size]);
    }

    /** An int array in work-group local (shared) memory; {@code size} must be a compile-time constant. */
    public int[] allocateIntLocalArray(int size) {
        int ordinal = nextLocalArray++;
        return group == null ? new int[size] : group.localArray(ordinal, () -> new int[size]);
    }

    /** Aligned: atomic access modes (getAndAdd, compareAndSet) exist only for aligned ints; arrays are allocated aligned. */
    private static final VarHandle INT = ValueLayout.JAVA_INT.arrayElementVarHandle();

    /** Atomically adds {@code delta} to {@code array[index]} and returns the old value. */
    public int atomicAdd(IntArray array, int index, int delta) {
        return (int) INT.getAndAdd(array.segment(), 0L, (long) index, delta);
    }

    /** Atomically adds {@code delta} to {@code array[index]} (global memory) and returns the old value. */
    public float atomicAdd(FloatArray array, int index, float delta) {
        while (true) {
            int old = (int) INT.getVolatile(array.segment(), 0L, (long) index);
            int updated = Float.floatToRawIntBits(Float.intBitsToFloat(old) + delta);
            if ((boolean) INT.compareAndSet(array.segment(), 0L, (long) index, old, updated)) {
                return Float.intBitsToFloat(old);
            }
        }
    }

    /** Atomically adds {@code delta} to a local-memory int and returns the old value. */
    public int atomicAdd(int[] localArray, int index, int delta) {
        synchronized (localArray) {
            int old = localArray[index];
            localArray[index] = old + delta;
            return old;
        }
    }

    /** The shared state of one work-group on the JVM backend. */
    public interface WorkGroup {
        void barrier();

        <T> T localArray(int ordinal, java.util.function.Supplier<T> allocate);
    }
}
