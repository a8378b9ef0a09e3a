package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;

/** Host -> device -> host copies keep every byte, for every array type and for empty arrays. */
class OpenClTransferTest {
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
    void floatRoundTripThroughASecondBuffer() {
        int n = 1 << 20;
        FloatArray src = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            src.set(i, i * 0.5f - 1e5f);
        }
        FloatArray back = new FloatArray(n);
        try (DeviceBuffer d = device.allocate(src)) {
            assertEquals(src.byteSize(), d.byteSize());
            device.copyToDevice(d, src);
            device.copyToHost(back, d);
            device.synchronize();
        }
        assertEquals(-1, src.segment().mismatch(back.segment()));
    }

    @Test
    void intHalfAndByteRoundTrips() {
        IntArray ints = IntArray.of(1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0);
        HalfArray halves = new HalfArray(7);
        ByteArray bytes = new ByteArray(13);
        for (int i = 0; i < 7; i++) {
            halves.set(i, i - 3.25f);
        }
        for (int i = 0; i < 13; i++) {
            bytes.set(i, (byte) (i * 31 - 128));
        }
        IntArray ints2 = new IntArray(5);
        HalfArray halves2 = new HalfArray(7);
        ByteArray bytes2 = new ByteArray(13);
        try (DeviceBuffer di = device.allocate(ints); DeviceBuffer dh = device.allocate(halves);
             DeviceBuffer db = device.allocate(bytes)) {
            device.copyToDevice(di, ints);
            device.copyToDevice(dh, halves);
            device.copyToDevice(db, bytes);
            device.copyToHost(ints2, di);
            device.copyToHost(halves2, dh);
            device.copyToHost(bytes2, db);
            device.synchronize();
        }
        assertEquals(-1, ints.segment().mismatch(ints2.segment()));
        assertEquals(-1, halves.segment().mismatch(halves2.segment()));
        assertEquals(-1, bytes.segment().mismatch(bytes2.segment()));
    }

    @Test
    void emptyArraysAllocateCopyAndLaunch() {
        FloatArray empty = new FloatArray(0);
        FloatArray x = new FloatArray(0);
        try (DeviceKernel saxpy = device.build(HandWrittenKernels.SAXPY);
             DeviceBuffer de = device.allocate(empty); DeviceBuffer dx = device.allocate(x)) {
            assertEquals(0, de.byteSize());
            device.copyToDevice(de, empty);
            device.launch(saxpy, new Object[] {1f, dx, de, 0}, null, WorkerGrid.of(1));
            device.copyToHost(empty, de);
            device.synchronize();
        }
    }

    @Test
    void closedBuffersAreRejectedAndCloseIsIdempotent() {
        FloatArray a = FloatArray.of(1, 2, 3);
        DeviceBuffer d = device.allocate(a);
        d.close();
        d.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.copyToDevice(d, a));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void closingTheDeviceReleasesItsBuffersAndRefusesFurtherWork() {
        try (OpenClBackend own = OpenClTestDevice.backend()) {
            OpenClDevice dev = own.device(0);
            FloatArray a = FloatArray.of(4, 5, 6);
            OpenClBuffer buffer = (OpenClBuffer) dev.allocate(a);
            dev.copyToDevice(buffer, a);
            dev.close();
            assertTrue(buffer.isClosed());
            assertThrows(IllegalStateException.class, () -> dev.allocate(a));
            assertThrows(IllegalStateException.class, dev::synchronize);
        }
    }
}
