package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.DeviceOutOfMemoryException;
import org.lte4j.runtime.compiler.ParamKind;

/** Mistakes give exceptions that say what was wrong, where, and what was expected. */
class OpenClBadCallTest {
    private static OpenClBackend backend;
    private static OpenClDevice device;
    private static DeviceKernel saxpy;
    private static FloatArray x;
    private static DeviceBuffer dx;
    private static DeviceBuffer dy;

    @BeforeAll
    static void open() {
        backend = OpenClTestDevice.backend();
        device = backend.device(0);
        saxpy = device.build(HandWrittenKernels.SAXPY);
        x = new FloatArray(16);
        dx = device.allocate(x);
        dy = device.allocate(new FloatArray(16));
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void wrongArgumentCountNamesTheKernelAndBothCounts() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> device.launch(saxpy, new Object[] {1f, dx, dy}, null, WorkerGrid.of(16)));
        assertMessage(e, "kernel saxpy", "takes 4 arguments", "(float, FloatArray, FloatArray, int)", "received 3");
    }

    @Test
    void wrongScalarTypeNamesTheParameterAndBothTypes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> device.launch(saxpy, new Object[] {1.0, dx, dy, 16}, null, WorkerGrid.of(16)));
        assertMessage(e, "kernel saxpy", "parameter 0 (float)", "expected a Float", "received Double 1.0");
    }

    @Test
    void wrongArrayTypeNamesTheParameter() {
        try (DeviceBuffer ints = device.allocate(new IntArray(16))) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> device.launch(saxpy, new Object[] {1f, ints, dy, 16}, null, WorkerGrid.of(16)));
            assertMessage(e, "kernel saxpy", "parameter 1 (FloatArray)", "FloatArray", "INT32");
        }
    }

    @Test
    void hostArrayInsteadOfBufferIsExplained() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> device.launch(saxpy, new Object[] {1f, x, dy, 16}, null, WorkerGrid.of(16)));
        assertMessage(e, "parameter 1", "host array FloatArray[16]", "allocate it on the device");
    }

    @Test
    void nullArrayArgumentNamesTheParameter() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> device.launch(saxpy, new Object[] {1f, dx, null, 16}, null, WorkerGrid.of(16)));
        assertMessage(e, "kernel saxpy", "parameter 2 (FloatArray)", "received null");
    }

    @Test
    void nullHostArrayInCopiesIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> device.copyToDevice(dx, null));
        assertMessage(e, "copyToDevice", "host array is null");
        var e2 = assertThrows(IllegalArgumentException.class, () -> device.copyToHost(x, null));
        assertMessage(e2, "copyToHost", "device buffer is null");
    }

    @Test
    void hostArraySmallerThanTheBufferIsRejected() {
        FloatArray small = new FloatArray(15);
        var e = assertThrows(IllegalArgumentException.class, () -> device.copyToHost(small, dx));
        assertMessage(e, "FloatArray[15]", "60 bytes", "holds 64");
        var e2 = assertThrows(IllegalArgumentException.class, () -> device.copyToDevice(dx, small));
        assertMessage(e2, "60 bytes", "holds 64");
    }

    @Test
    void readOnlyHostArrayCannotReceiveACopy() {
        FloatArray readOnly = FloatArray.wrap(x.segment().asReadOnly());
        var e = assertThrows(IllegalArgumentException.class, () -> device.copyToHost(readOnly, dx));
        assertMessage(e, "copyToHost", "read-only");
    }

    @Test
    void mismatchedHostArraysAtLaunchAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> device.launch(saxpy, new Object[] {1f, dx, dy, 16},
                new NativeArray[] {null, new FloatArray(8), null, null}, WorkerGrid.of(16)));
        assertMessage(e, "parameter 1", "FloatArray[8]", "does not match");
    }

    @Test
    void oversizedWorkGroupIsRejectedBeforeTheDriver() {
        int tooBig = Integer.highestOneBit(device.maxWorkGroupSize()) * 2;
        var e = assertThrows(IllegalArgumentException.class,
                () -> device.launch(saxpy, new Object[] {1f, dx, dy, 16}, null, WorkerGrid.of(tooBig, tooBig)));
        assertMessage(e, "kernel saxpy", "at most " + device.maxWorkGroupSize());
    }

    @Test
    void barrierKernelWithoutAWorkGroupSizeIsRejected() {
        try (DeviceKernel reduce = device.build(HandWrittenKernels.REDUCE_SUM)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> device.launch(reduce, new Object[] {dx, dy, 16, null}, null, WorkerGrid.of(256)));
            assertMessage(e, "kernel reduceSum uses barriers", "explicit work-group size");
        }
    }

    @Test
    void absurdAllocationIsDeviceOutOfMemoryWithSizes() {
        long tib = 1L << 40;
        // a 1 TiB view of address 0: nothing is allocated on the host, only its size is read
        ByteArray huge = ByteArray.wrap(MemorySegment.NULL.reinterpret(tib));
        var e = assertThrows(DeviceOutOfMemoryException.class, () -> device.allocate(huge));
        assertMessage(e, String.valueOf(tib), "1.0 TiB", "CL_DEVICE_MAX_MEM_ALLOC_SIZE",
                String.valueOf(device.info().maxAllocBytes()), String.valueOf(device.globalMemoryBytes()));
    }

    @Test
    void buildFailureShowsTheLogAndTheSourceLines() {
        var broken = HandWrittenKernels.kernel("broken", """
                __kernel void broken(__global float* out, int n) {
                    int i = get_global_id(0);
                    out[i] = undefinedThing * 2.0f;
                }
                """, false, ParamKind.FLOAT_ARRAY, ParamKind.INT);
        var e = assertThrows(BackendException.class, () -> device.build(broken));
        assertMessage(e, "clBuildProgram", "CL_BUILD_PROGRAM_FAILURE", "kernel broken", "undefinedThing",
                ">    3 |     out[i] = undefinedThing * 2.0f;", "   2 |");
    }

    @Test
    void interfaceThatDisagreesWithTheSourceIsCaughtAtBuild() {
        var wrong = HandWrittenKernels.kernel("saxpy", HandWrittenKernels.SAXPY.source(), false,
                ParamKind.FLOAT, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY);
        var e = assertThrows(BackendException.class, () -> device.build(wrong));
        assertMessage(e, "kernel saxpy declares 4 arguments", "give 3");
    }

    @Test
    void unknownEntryNameIsNamed() {
        var wrong = HandWrittenKernels.kernel("nosuch", HandWrittenKernels.SAXPY.source(), false,
                ParamKind.FLOAT, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT);
        var e = assertThrows(BackendException.class, () -> device.build(wrong));
        assertMessage(e, "clCreateKernel", "CL_INVALID_KERNEL_NAME", "'nosuch'");
    }

    @Test
    void driverErrorsCarryTheCallAndSymbolicName() {
        var e = OpenClStatus.failure(-52, "clEnqueueNDRangeKernel", "launching kernel saxpy");
        assertMessage(e, "clEnqueueNDRangeKernel failed with CL_INVALID_KERNEL_ARGS (-52) while launching kernel saxpy");
    }
}
