package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;

/** The disk cache of program binaries, and the ahead-of-time (FPGA-style) source-out, binary-in path. */
class OpenClBinaryTest {

    /** Runs saxpy with alpha 2 on x = i, y = 1 and checks y = 2i + 1. */
    private static void assertSaxpyWorks(OpenClDevice device, DeviceKernel saxpy) {
        int n = 1000;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, i);
        }
        y.fill(1f);
        try (DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            device.launch(saxpy, new Object[] {2f, dx, dy, n}, null, WorkerGrid.of(128));
            device.copyToHost(y, dy);
            device.synchronize();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(2f * i + 1f, y.get(i), 0f, "y[" + i + "]");
        }
    }

    private static List<Path> binaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".bin")).toList();
        }
    }

    @Test
    void secondProcessLoadsTheCachedBinary(@TempDir Path cache) throws IOException {
        try (OpenClBackend first = OpenClTestDevice.backend(cache)) {
            OpenClDevice d = first.device(0);
            try (DeviceKernel k = d.build(HandWrittenKernels.SAXPY)) {
                assertEquals(OpenClProgramCache.Origin.SOURCE, d.lastBuildOrigin());
                assertSaxpyWorks(d, k);
            }
        }
        List<Path> files = binaries(cache);
        assertEquals(1, files.size(), "one binary cached: " + files);
        assertTrue(files.get(0).getFileName().toString().startsWith("saxpy-"));

        // a fresh backend has fresh contexts and an empty memory cache, as a new process would
        try (OpenClBackend second = OpenClTestDevice.backend(cache)) {
            OpenClDevice d = second.device(0);
            try (DeviceKernel k = d.build(HandWrittenKernels.SAXPY)) {
                assertEquals(OpenClProgramCache.Origin.DISK_CACHE, d.lastBuildOrigin());
                assertSaxpyWorks(d, k);
            }
        }
    }

    @Test
    void corruptCachedBinaryIsReplacedBySourceBuild(@TempDir Path cache) throws IOException {
        try (OpenClBackend first = OpenClTestDevice.backend(cache)) {
            first.device(0).build(HandWrittenKernels.SAXPY).close();
        }
        Path file = binaries(cache).get(0);
        byte[] garbage = "this is not a program binary".getBytes();
        Files.write(file, garbage);
        try (OpenClBackend second = OpenClTestDevice.backend(cache)) {
            OpenClDevice d = second.device(0);
            try (DeviceKernel k = d.build(HandWrittenKernels.SAXPY)) {
                assertEquals(OpenClProgramCache.Origin.SOURCE, d.lastBuildOrigin());
                assertSaxpyWorks(d, k);
            }
        }
        assertFalse(Arrays.equals(garbage, Files.readAllBytes(file)), "the damaged binary was rewritten");
    }

    @Test
    void aheadOfTimeSourceOutBinaryIn(@TempDir Path dir) throws IOException {
        Path cl = OpenClAheadOfTime.writeSource(HandWrittenKernels.SAXPY, dir.resolve("aot/saxpy.cl"));
        assertEquals(HandWrittenKernels.SAXPY.source(), Files.readString(cl));

        // stand-in for the vendor's offline compiler: PoCL builds the .cl and hands out its binary
        Path bin = dir.resolve("aot/saxpy.bin");
        try (OpenClBackend offline = OpenClTestDevice.backend()) {
            OpenClDevice d = offline.device(0);
            var fromFile = HandWrittenKernels.kernel("saxpy", Files.readString(cl), false,
                    HandWrittenKernels.SAXPY.params().toArray(org.lte4j.runtime.compiler.ParamKind[]::new));
            try (DeviceKernel k = d.build(fromFile)) {
                d.writeBinary(k, bin);
            }
        }
        assertTrue(Files.size(bin) > 0);

        try (OpenClBackend runtime = OpenClTestDevice.backend()) {
            OpenClDevice d = runtime.device(0);
            try (DeviceKernel k = d.loadBinary(HandWrittenKernels.SAXPY, bin)) {
                assertEquals(OpenClProgramCache.Origin.BINARY_FILE, d.lastBuildOrigin());
                assertSaxpyWorks(d, k);
            }
        }
    }

    @Test
    void foreignBinaryFileIsRejectedClearly(@TempDir Path dir) throws IOException {
        Path bin = Files.write(dir.resolve("bogus.aocx"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        try (OpenClBackend backend = OpenClTestDevice.backend()) {
            var e = assertThrows(BackendException.class,
                    () -> backend.device(0).loadBinary(HandWrittenKernels.SAXPY, bin));
            assertTrue(e.getMessage().contains("bogus.aocx"), e.getMessage());
            assertTrue(e.getMessage().matches("(?s).*(clCreateProgramWithBinary|clBuildProgram) failed with CL_.*"),
                    e.getMessage());
        }
    }
}
