package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.CapturedWork;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * The CUDA backend on a real GPU, against scalar Java. Skipped, with the reason, where no CUDA
 * device is found (CI and the development machines have none; run it on a GPU box, or run
 * {@link CudaSmokeCheck} from the GPU bundle).
 */
class CudaDeviceGpuTest {
    @TempDir
    static Path cacheDir;

    private static CudaBackend backend;
    private static CudaDevice device;

    @BeforeAll
    static void openDevice() {
        backend = new CudaBackend(CudaBackend.Options.defaults().withCacheDirectory(cacheDir));
        if (!backend.devices().isEmpty()) {
            device = backend.device(0);
        }
    }

    /** Per test rather than per class, so that each skipped test shows the reason in the report. */
    @BeforeEach
    void requireDevice() {
        assumeTrue(device != null, () -> "no CUDA device, GPU test skipped: " + backend.unavailableReason().orElse("none listed"));
    }

    @AfterAll
    static void closeDevice() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void saxpyMatchesScalarJava() {
        int n = 1_000_003;
        float alpha = -1.75f;
        try (DeviceKernel k = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 1); FloatArray y = random(n, 2);
             FloatArray got = new FloatArray(n); DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            device.launch(k, new Object[] {alpha, dx, dy, n}, null, WorkerGrid.of(n));
            device.copyToHost(got, dy);
            device.synchronize();
            for (int i = 0; i < n; i++) {
                assertClose(alpha * x.get(i) + y.get(i), got.get(i), i);
            }
        }
        assertTrue(Files.exists(cacheDir), "the binary cache folder was not created");
    }

    @Test
    void sharedMemoryReductionMatchesScalarJava() {
        int n = 3_000_017;
        int groups = 512;
        try (DeviceKernel k = device.build(CudaSampleKernels.BLOCK_SUMS); FloatArray in = random(n, 3);
             FloatArray partial = new FloatArray(groups); DeviceBuffer din = device.allocate(in); DeviceBuffer dp = device.allocate(partial)) {
            device.copyToDevice(din, in);
            device.launch(k, new Object[] {null, din, dp, n}, null, WorkerGrid.of(groups * 256, 256));
            device.copyToHost(partial, dp);
            device.synchronize();
            double got = 0;
            for (int g = 0; g < groups; g++) {
                got += partial.get(g);
            }
            double want = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                want += in.get(i);
                magnitude += Math.abs(in.get(i));
            }
            assertEquals(want, got, 1e-6 * magnitude);
        }
    }

    @Test
    void everyScalarKindCrossesTheAbi() {
        int n = 777;
        long offset = 3_000_000_000L;
        double factor = 1e-9;
        try (DeviceKernel k = device.build(CudaSampleKernels.ABI_MIX); FloatArray f = new FloatArray(n); IntArray ints = new IntArray(n);
             DeviceBuffer df = device.allocate(f); DeviceBuffer di = device.allocate(ints)) {
            device.launch(k, new Object[] {df, di, offset, factor, false, n}, null, WorkerGrid.of(n));
            device.copyToHost(f, df);
            device.copyToHost(ints, di);
            device.synchronize();
            for (int i = 0; i < n; i++) {
                assertEquals((float) (factor * (double) (i + offset)), f.get(i), "f[" + i + "]");
                assertEquals((int) (i + offset), ints.get(i), "k[" + i + "]");
            }
        }
    }

    @Test
    void graphReplayEqualsDirectExecution() {
        int n = 1 << 20;
        float alpha = 0.5f;
        try (DeviceKernel k = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 4); FloatArray y = random(n, 5);
             FloatArray direct = new FloatArray(n); FloatArray replayed = new FloatArray(n);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            Object[] args = {alpha, dx, dy, n};
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            for (int r = 0; r < 4; r++) {
                device.launch(k, args, null, WorkerGrid.of(n));
            }
            device.copyToHost(direct, dy);
            device.copyToDevice(dy, y);
            device.synchronize();

            device.beginCapture();
            device.launch(k, args, null, WorkerGrid.of(n));
            device.launch(k, args, null, WorkerGrid.of(n));
            assertThrows(IllegalStateException.class, device::synchronize, "synchronize inside a capture");
            try (CapturedWork graph = device.endCapture()) {
                graph.replay();
                graph.replay();
                device.copyToHost(replayed, dy);
                device.synchronize();
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(direct.get(i)), Float.floatToRawIntBits(replayed.get(i)), "y[" + i + "]");
            }
            float want = y.get(12345);
            for (int r = 0; r < 4; r++) {
                want = alpha * x.get(12345) + want;
            }
            assertClose(want, direct.get(12345), 12345);
        }
    }

    @Test
    void profilingRecordsEachCopyAndLaunch() {
        int n = 1 << 20;
        try (DeviceKernel k = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 6); DeviceBuffer dx = device.allocate(x)) {
            device.setProfiling(true);
            try {
                device.copyToDevice(dx, x);
                device.launch(k, new Object[] {2f, dx, dx, n}, null, WorkerGrid.of(n));
                device.copyToHost(x, dx);
                device.synchronize();
                List<ProfileRecord> records = device.takeProfile();
                assertEquals(List.of(ProfileRecord.Kind.COPY_TO_DEVICE, ProfileRecord.Kind.KERNEL, ProfileRecord.Kind.COPY_TO_HOST),
                        records.stream().map(ProfileRecord::kind).toList());
                assertEquals("saxpy", records.get(1).label());
                assertEquals(4L * n, records.get(0).bytes());
                assertTrue(records.stream().allMatch(r -> r.deviceNanos() > 0), records.toString());
                assertTrue(device.takeProfile().isEmpty());
            } finally {
                device.setProfiling(false);
            }
        }
    }

    @Test
    void nvrtcErrorsCarryTheCompilerLog() {
        BackendException e = assertThrows(BackendException.class, () -> device.build(CudaSampleKernels.BROKEN));
        assertTrue(e.getMessage().contains("undeclared_variable") && e.getMessage().contains("broken"), e.getMessage());
    }

    @Test
    void compiledJavaKernelsMatchScalarJava() throws Exception {
        DeviceKernel saxpy;
        DeviceKernel sums;
        try {
            saxpy = device.build(CudaSmokeKernels.class.getMethod("saxpy", float.class, FloatArray.class, FloatArray.class, int.class), Map.of());
            sums = device.build(CudaSmokeKernels.class.getMethod("blockSums", KernelContext.class, FloatArray.class,
                    FloatArray.class, int.class), Map.of());
        } catch (UnsupportedOperationException e) {
            assumeTrue(false, "the kernel compiler is not available yet: " + e.getMessage());
            return;
        }
        int n = 100_003;
        try (saxpy; sums; FloatArray x = random(n, 7); FloatArray y = random(n, 8); FloatArray got = new FloatArray(n);
             FloatArray partial = new FloatArray(64); DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y);
             DeviceBuffer dp = device.allocate(partial)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            device.launch(saxpy, new Object[] {3f, dx, dy, n}, null, WorkerGrid.of(n));
            device.launch(sums, new Object[] {null, dx, dp, n}, null, WorkerGrid.of(64 * 256, 256));
            device.copyToHost(got, dy);
            device.copyToHost(partial, dp);
            device.synchronize();
            for (int i = 0; i < n; i++) {
                assertClose(3f * x.get(i) + y.get(i), got.get(i), i);
            }
            double sum = 0;
            double want = 0;
            double magnitude = 0;
            for (int g = 0; g < 64; g++) {
                sum += partial.get(g);
            }
            for (int i = 0; i < n; i++) {
                want += x.get(i);
                magnitude += Math.abs(x.get(i));
            }
            assertEquals(want, sum, 1e-6 * magnitude);
        }
    }

    private static FloatArray random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) (r.nextDouble() * 2 - 1));
        }
        return a;
    }

    /** Within 2 ulp: the device may fuse a*x+y into one rounding where Java rounds twice. */
    private static void assertClose(float want, float got, int i) {
        assertEquals(want, got, 2 * Math.ulp(Math.max(Math.abs(want), 1e-6f)) + 1e-7f, "element " + i);
    }
}
