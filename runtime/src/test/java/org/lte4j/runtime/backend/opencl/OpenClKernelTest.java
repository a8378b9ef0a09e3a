package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;

/** Hand-written OpenCL C kernels run on the device, checked against plain scalar Java. */
class OpenClKernelTest {
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

    @Test
    void saxpyMatchesScalarJava() {
        int n = 10_007; // not a multiple of the grid: the grid-stride loop covers the tail
        float alpha = 1.75f;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        float[] unfused = new float[n];
        float[] fused = new float[n]; // OpenCL C may contract a * x + y into one fma
        for (int i = 0; i < n; i++) {
            x.set(i, (float) Math.sin(i));
            y.set(i, i * 0.001f - 3f);
            unfused[i] = alpha * x.get(i) + y.get(i);
            fused[i] = Math.fma(alpha, x.get(i), y.get(i));
        }
        try (DeviceKernel saxpy = device.build(HandWrittenKernels.SAXPY);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            device.launch(saxpy, new Object[] {alpha, dx, dy, n}, new NativeArray[] {null, x, y, null},
                    WorkerGrid.of(1024, 64));
            device.copyToHost(y, dy);
            device.synchronize();
        }
        for (int i = 0; i < n; i++) {
            float got = y.get(i);
            int at = i;
            assertTrue(got == unfused[i] || got == fused[i],
                    () -> "y[" + at + "] = " + got + ", expected " + unfused[at] + " (or fused " + fused[at] + ")");
        }
    }

    @Test
    void localMemoryReductionWithBarriersMatchesScalarSum() {
        int n = 100_000;
        int groups = 16;
        int local = 128;
        FloatArray in = new FloatArray(n);
        long expected = 0;
        for (int i = 0; i < n; i++) {
            int v = (i * 7919) % 13 - 6; // small integers: every float partial sum is exact
            in.set(i, v);
            expected += v;
        }
        FloatArray partial = new FloatArray(groups);
        try (DeviceKernel reduce = device.build(HandWrittenKernels.REDUCE_SUM);
             DeviceBuffer din = device.allocate(in); DeviceBuffer dp = device.allocate(partial)) {
            device.copyToDevice(din, in);
            device.launch(reduce, new Object[] {din, dp, n, null}, null, WorkerGrid.of(groups * local, local));
            device.copyToHost(partial, dp);
            device.synchronize();
        }
        double sum = 0;
        for (int g = 0; g < groups; g++) {
            sum += partial.get(g);
        }
        assertEquals(expected, sum, 0.0);
        // each partial is the sum of the elements its work-group strode over
        for (int g = 0; g < groups; g++) {
            long part = 0;
            for (int i = g * local; i < n; i += groups * local) {
                for (int j = i; j < Math.min(n, i + local); j++) {
                    part += (long) in.get(j);
                }
            }
            assertEquals(part, partial.get(g), 0f, "partial[" + g + "]");
        }
    }

    @Test
    void everyScalarKindCrossesTheAbiInOrder() {
        FloatArray out = new FloatArray(5);
        IntArray ints = new IntArray(2);
        long b = (5L << 32) | 7;
        try (DeviceKernel k = device.build(HandWrittenKernels.SCALARS);
             DeviceBuffer dout = device.allocate(out); DeviceBuffer dints = device.allocate(ints)) {
            device.launch(k, new Object[] {dout, -42, b, 2.5f, 0.125, true, dints}, null, WorkerGrid.of(1));
            device.copyToHost(out, dout);
            device.copyToHost(ints, dints);
            device.synchronize();
        }
        assertEquals(-42f, out.get(0));
        assertEquals((float) b, out.get(1));
        assertEquals(2.5f, out.get(2));
        assertEquals(0.125f, out.get(3));
        assertEquals(1f, out.get(4));
        assertEquals(-42, ints.get(0));
        assertEquals(5, ints.get(1));
    }

    @Test
    void halfAndByteBuffersReachTheKernel() {
        int n = 300;
        HalfArray h = new HalfArray(n);
        ByteArray bytes = new ByteArray(n);
        FloatArray out = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            h.set(i, i * 0.37f - 20f);
            bytes.set(i, (byte) (i * 13));
        }
        try (DeviceKernel k = device.build(HandWrittenKernels.HALF_PLUS_BYTE);
             DeviceBuffer dh = device.allocate(h); DeviceBuffer db = device.allocate(bytes);
             DeviceBuffer dout = device.allocate(out)) {
            device.copyToDevice(dh, h);
            device.copyToDevice(db, bytes);
            device.launch(k, new Object[] {dh, db, dout, n}, null, WorkerGrid.of(64));
            device.copyToHost(out, dout);
            device.synchronize();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(h.get(i) + bytes.get(i), out.get(i), 0f, "out[" + i + "]");
        }
    }

    @Test
    void twoDimensionalGridCoversEveryCell() {
        int w = 24;
        int hgt = 10;
        IntArray out = new IntArray(w * hgt);
        out.fill(-1);
        try (DeviceKernel k = device.build(HandWrittenKernels.INDEX_2D); DeviceBuffer d = device.allocate(out)) {
            device.copyToDevice(d, out);
            device.launch(k, new Object[] {d, w, null}, null, WorkerGrid.of2D(w, hgt, 8, 2));
            device.copyToHost(out, d);
            device.synchronize();
        }
        for (int y = 0; y < hgt; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(x * 1000 + y, out.get(y * w + x), "cell " + x + "," + y);
            }
        }
    }

    @Test
    void launchesQueueWithoutHostWaitsAndRunInOrder() {
        // ten dependent saxpys enqueued back to back; only the final synchronize waits
        int n = 4096;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        x.fill(1f);
        y.fill(0f);
        try (DeviceKernel saxpy = device.build(HandWrittenKernels.SAXPY);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            for (int r = 0; r < 10; r++) {
                device.launch(saxpy, new Object[] {2f, dx, dy, n}, null, WorkerGrid.of(256));
            }
            device.copyToHost(y, dy);
            device.synchronize();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(20f, y.get(i), 0f);
        }
    }

    @Test
    void rebuildingComesFromTheMemoryCache() {
        try (DeviceKernel a = device.build(HandWrittenKernels.SAXPY); DeviceKernel b = device.build(HandWrittenKernels.SAXPY)) {
            assertEquals(OpenClProgramCache.Origin.MEMORY_CACHE, device.lastBuildOrigin());
            assertEquals(((OpenClKernel) a).program(), ((OpenClKernel) b).program());
        }
    }
}
