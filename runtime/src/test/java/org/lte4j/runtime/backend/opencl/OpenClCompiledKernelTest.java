package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.compiler.GeneratedKernel;

/** Java kernels compiled by KernelCompiler and built by the OpenCL device, against the JVM backend running the same methods. */
class OpenClCompiledKernelTest {
    private static OpenClBackend backend;
    private static OpenClDevice device;

    @BeforeAll
    static void open() {
        backend = OpenClTestDevice.backend();
        device = backend.device(0);
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static Method kernel(String name) {
        for (Method m : OpenClTestJavaKernels.class.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** Uploads, launches and downloads through the Device interface, the way an ExecutionPlan does. */
    private static void run(Device d, DeviceKernel k, Object[] javaArgs, NativeArray[] outputs, WorkerGrid grid) {
        Object[] args = new Object[javaArgs.length];
        NativeArray[] hosts = new NativeArray[javaArgs.length];
        DeviceBuffer[] buffers = new DeviceBuffer[javaArgs.length];
        for (int i = 0; i < javaArgs.length; i++) {
            if (javaArgs[i] instanceof NativeArray a) {
                hosts[i] = a;
                buffers[i] = d.allocate(a);
                d.copyToDevice(buffers[i], a);
                args[i] = buffers[i];
            } else if (!(javaArgs[i] instanceof KernelContext)) {
                args[i] = javaArgs[i];
            }
        }
        d.launch(k, args, hosts, grid);
        for (NativeArray out : outputs) {
            for (int i = 0; i < hosts.length; i++) {
                if (hosts[i] == out) {
                    d.copyToHost(out, buffers[i]);
                }
            }
        }
        d.synchronize();
        for (DeviceBuffer b : buffers) {
            if (b != null) {
                b.close();
            }
        }
    }

    @Test
    void compiledSaxpyMatchesTheJvmRun() {
        int n = 5003;
        FloatArray x = new FloatArray(n);
        FloatArray yCl = new FloatArray(n);
        FloatArray yJvm = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, (float) Math.cos(i * 0.1));
            yCl.set(i, i % 17);
            yJvm.set(i, i % 17);
        }
        Method m = kernel("saxpy");
        try (DeviceKernel k = device.build(m, Map.of()); JvmDevice jvm = new JvmDevice();
             DeviceKernel kj = jvm.build(m, Map.of())) {
            run(device, k, new Object[] {0.75f, x, yCl, n}, new NativeArray[] {yCl}, WorkerGrid.of(512, 64));
            run(jvm, kj, new Object[] {0.75f, x, yJvm, n}, new NativeArray[] {yJvm}, WorkerGrid.of(512, 64));
        }
        for (int i = 0; i < n; i++) {
            float expected = yJvm.get(i);
            float fused = Math.fma(0.75f, x.get(i), i % 17); // OpenCL C may contract into an fma
            float got = yCl.get(i);
            int at = i;
            assertTrue(got == expected || got == fused, () -> "y[" + at + "] = " + got + ", JVM " + expected);
        }
    }

    @Test
    void compiledLocalMemoryReductionMatchesTheJvmRun() {
        int n = 50_000;
        int groups = 8;
        int local = 128;
        FloatArray in = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            in.set(i, (i * 31) % 9 - 4); // small integers: sums are exact in any order
        }
        FloatArray partialCl = new FloatArray(groups);
        FloatArray partialJvm = new FloatArray(groups);
        Method m = kernel("reduceSum");
        WorkerGrid grid = WorkerGrid.of(groups * local, local);
        try (DeviceKernel k = device.build(m, Map.of()); JvmDevice jvm = new JvmDevice();
             DeviceKernel kj = jvm.build(m, Map.of())) {
            assertTrue(k.generated().usesBarrier(), "the compiler saw the barrier");
            run(device, k, new Object[] {in, partialCl, n, new KernelContext()}, new NativeArray[] {partialCl}, grid);
            run(jvm, kj, new Object[] {in, partialJvm, n, new KernelContext()}, new NativeArray[] {partialJvm}, grid);
        }
        double total = 0;
        for (int g = 0; g < groups; g++) {
            assertEquals(partialJvm.get(g), partialCl.get(g), 0f, "partial[" + g + "]");
            total += partialCl.get(g);
        }
        double expected = 0;
        for (int i = 0; i < n; i++) {
            expected += in.get(i);
        }
        assertEquals(expected, total, 0.0);
    }

    @Test
    void aheadOfTimeFromAJavaKernel(@TempDir Path dir) throws Exception {
        Method m = kernel("saxpy");
        Path cl = dir.resolve("saxpy.cl");
        GeneratedKernel g = OpenClAheadOfTime.writeSource(m, Map.of(), cl);
        assertEquals(g.source(), Files.readString(cl));
        Path bin = dir.resolve("saxpy.bin");
        try (DeviceKernel k = device.build(g)) {
            device.writeBinary(k, bin);
        }
        int n = 100;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, i);
        }
        try (DeviceKernel k = device.loadBinary(g, bin)) {
            run(device, k, new Object[] {2f, x, y, n}, new NativeArray[] {y}, WorkerGrid.of(64));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(2f * i, y.get(i), 0f);
        }
    }
}
