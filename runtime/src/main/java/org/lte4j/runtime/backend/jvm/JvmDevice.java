package org.lte4j.runtime.backend.jvm;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Phaser;
import java.util.function.Supplier;

import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * The JVM as a device: kernels are the Java methods themselves and "device memory" is the host
 * array. This is the reference every other backend is tested against, so it keeps device
 * semantics: a KernelContext kernel runs once per work-item; when it uses barriers, each
 * work-group runs one virtual thread per work-item meeting at a {@link Phaser}, and local arrays
 * are shared within the group.
 */
public final class JvmDevice implements Device {
    private static final int DEFAULT_LOCAL_SIZE = 64;
    private boolean profiling;
    private final List<ProfileRecord> records = new ArrayList<>();

    @Override
    public BackendKind kind() {
        return BackendKind.JVM;
    }

    @Override
    public int index() {
        return 0;
    }

    @Override
    public String name() {
        return "Java " + Runtime.version() + " on " + System.getProperty("os.arch");
    }

    @Override
    public long globalMemoryBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    @Override
    public String describe() {
        return name() + ", " + Runtime.getRuntime().availableProcessors() + " cores, max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB (arrays are off-heap)";
    }

    @Override
    public DeviceBuffer allocate(NativeArray array) {
        return new HostBuffer(array);
    }

    @Override
    public void copyToDevice(DeviceBuffer dst, NativeArray src) {
        checkSame(dst, src);
    }

    @Override
    public void copyToHost(NativeArray dst, DeviceBuffer src) {
        checkSame(src, dst);
    }

    private static void checkSame(DeviceBuffer b, NativeArray a) {
        if (!(b instanceof HostBuffer hb) || hb.array != a) {
            throw new IllegalArgumentException("on the JVM a buffer is its host array; " + a + " does not own this buffer");
        }
    }

    @Override
    public DeviceKernel build(Method kernel, Map<Integer, Object> specialisations) {
        return new JvmKernel(kernel);
    }

    @Override
    public void launch(DeviceKernel kernel, Object[] args, NativeArray[] hostArrays, WorkerGrid grid) {
        JvmKernel k = (JvmKernel) kernel;
        int n = k.method.getParameterCount();
        if (args.length != n) {
            throw new IllegalArgumentException(k.method.getName() + " takes " + n + " arguments, got " + args.length);
        }
        Object[] values = new Object[n];
        int contextIndex = -1;
        for (int i = 0; i < n; i++) {
            if (args[i] instanceof DeviceBuffer) {
                values[i] = hostArrays[i];
            } else if (k.method.getParameterTypes()[i] == KernelContext.class) {
                contextIndex = i;
            } else {
                values[i] = args[i];
            }
        }
        long start = System.nanoTime();
        if (contextIndex < 0) {
            invoke(k, values);
        } else if (k.generated().usesBarrier()) {
            runGroupsWithBarriers(k, values, contextIndex, grid);
        } else {
            runWorkItems(k, values, contextIndex, grid);
        }
        if (profiling) {
            records.add(new ProfileRecord(ProfileRecord.Kind.KERNEL, k.method.getName(), System.nanoTime() - start, 0));
        }
    }

    private void runWorkItems(JvmKernel k, Object[] values, int contextIndex, WorkerGrid grid) {
        int lx = localX(grid);
        int ly = localY(grid);
        for (int gy = 0; gy < grid.globalY(); gy += ly) {
            for (int gx = 0; gx < grid.globalX(); gx += lx) {
                SequentialGroup group = new SequentialGroup();
                for (int y = 0; y < ly; y++) {
                    for (int x = 0; x < lx; x++) {
                        Object[] v = values.clone();
                        v[contextIndex] = new KernelContext(gx + x, gy + y, x, y, grid.globalX(), grid.globalY(), lx, ly, group);
                        invoke(k, v);
                    }
                }
            }
        }
    }

    private void runGroupsWithBarriers(JvmKernel k, Object[] values, int contextIndex, WorkerGrid grid) {
        int lx = localX(grid);
        int ly = localY(grid);
        for (int gy = 0; gy < grid.globalY(); gy += ly) {
            for (int gx = 0; gx < grid.globalX(); gx += lx) {
                PhasedGroup group = new PhasedGroup(lx * ly);
                List<Thread> threads = new ArrayList<>(lx * ly);
                Throwable[] failure = new Throwable[1];
                for (int y = 0; y < ly; y++) {
                    for (int x = 0; x < lx; x++) {
                        Object[] v = values.clone();
                        v[contextIndex] = new KernelContext(gx + x, gy + y, x, y, grid.globalX(), grid.globalY(), lx, ly, group);
                        threads.add(Thread.ofVirtual().start(() -> {
                            try {
                                invoke(k, v);
                            } catch (Throwable t) {
                                synchronized (failure) {
                                    if (failure[0] == null) {
                                        failure[0] = t;
                                    }
                                }
                                group.phaser.forceTermination();
                            } finally {
                                group.phaser.arriveAndDeregister();
                            }
                        }));
                    }
                }
                for (Thread t : threads) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while running " + k.method.getName(), e);
                    }
                }
                if (failure[0] instanceof RuntimeException re) {
                    throw re;
                } else if (failure[0] != null) {
                    throw new IllegalStateException(failure[0]);
                }
            }
        }
    }

    private static int localX(WorkerGrid grid) {
        return grid.hasLocalSize() ? grid.localX() : gcdLocal(grid.globalX());
    }

    private static int localY(WorkerGrid grid) {
        return grid.hasLocalSize() ? Math.max(1, grid.localY()) : 1;
    }

    /** Largest divisor of n not above the default local size, like a driver choosing for NULL local size. */
    private static int gcdLocal(int n) {
        for (int l = Math.min(DEFAULT_LOCAL_SIZE, n); l > 1; l--) {
            if (n % l == 0) {
                return l;
            }
        }
        return 1;
    }

    private static void invoke(JvmKernel k, Object[] values) {
        try {
            k.handle.invoke(values);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void synchronize() {
    }

    @Override
    public void setProfiling(boolean on) {
        profiling = on;
    }

    @Override
    public List<ProfileRecord> takeProfile() {
        List<ProfileRecord> out = List.copyOf(records);
        records.clear();
        return out;
    }

    @Override
    public int maxWorkGroupSize() {
        return 1024;
    }

    @Override
    public void close() {
    }

    private record HostBuffer(NativeArray array) implements DeviceBuffer {
        @Override
        public long byteSize() {
            return array.byteSize();
        }

        @Override
        public void close() {
        }
    }

    /** Work-items of a group run one after another: local arrays shared, no barrier needed. */
    private static final class SequentialGroup implements KernelContext.WorkGroup {
        private final Map<Integer, Object> arrays = new HashMap<>();

        @Override
        public void barrier() {
            throw new IllegalStateException("barrier in a kernel that was not detected to use barriers");
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T localArray(int ordinal, Supplier<T> allocate) {
            return (T) arrays.computeIfAbsent(ordinal, o -> allocate.get());
        }
    }

    /** Work-items of a group run as virtual threads that meet at a phaser. */
    private static final class PhasedGroup implements KernelContext.WorkGroup {
        final Phaser phaser;
        private final Map<Integer, Object> arrays = new HashMap<>();

        PhasedGroup(int size) {
            phaser = new Phaser(size);
        }

        @Override
        public void barrier() {
            if (phaser.arriveAndAwaitAdvance() < 0) {
                throw new IllegalStateException("another work-item of this work-group failed");
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public synchronized <T> T localArray(int ordinal, Supplier<T> allocate) {
            return (T) arrays.computeIfAbsent(ordinal, o -> allocate.get());
        }
    }
}
