package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.NativeArray.ElementType;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;
import org.lte4j.runtime.compiler.Target;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * The kernelParams layout and the argument checks, without a driver: buffers here are device
 * addresses that are only written into the parameter block, never dereferenced.
 */
class KernelArgumentsTest {
    private static final GeneratedKernel MIXED = new GeneratedKernel("mixed", "", Target.CUDA_C,
            List.of(ParamKind.CONTEXT, ParamKind.FLOAT_ARRAY, ParamKind.INT, ParamKind.LONG, ParamKind.FLOAT,
                    ParamKind.DOUBLE, ParamKind.BOOLEAN, ParamKind.BYTE_ARRAY, ParamKind.HALF_ARRAY, ParamKind.INT_ARRAY),
            OptionalInt.empty(), true, false, "test");

    private static CudaBuffer buffer(long address, ElementType type) {
        return new CudaBuffer(null, address, 64, type, "test buffer");
    }

    private Object[] valid() {
        return new Object[] {null, buffer(0x7000_0000_1000L, ElementType.FLOAT32), -7, 3_000_000_000L, 1.5f, -2.25, true,
                buffer(0x7000_0000_2000L, ElementType.INT8), buffer(0x7000_0000_3000L, ElementType.FLOAT16),
                buffer(0x7000_0000_4000L, ElementType.INT32)};
    }

    @Test
    void eachDeviceParameterGetsAPointerToItsValueAndTheContextNone() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer params = KernelArguments.pack(MIXED, valid(), null, stack);
            assertEquals(9, params.remaining());
            assertEquals(0x7000_0000_1000L, MemoryUtil.memGetAddress(params.get(0)));
            assertEquals(-7, MemoryUtil.memGetInt(params.get(1)));
            assertEquals(3_000_000_000L, MemoryUtil.memGetLong(params.get(2)));
            assertEquals(1.5f, MemoryUtil.memGetFloat(params.get(3)));
            assertEquals(-2.25, MemoryUtil.memGetDouble(params.get(4)));
            assertEquals(1, MemoryUtil.memGetInt(params.get(5)));
            assertEquals(0x7000_0000_2000L, MemoryUtil.memGetAddress(params.get(6)));
            assertEquals(0x7000_0000_3000L, MemoryUtil.memGetAddress(params.get(7)));
            assertEquals(0x7000_0000_4000L, MemoryUtil.memGetAddress(params.get(8)));
        }
    }

    @Test
    void falseIsZeroAndAnIntWidensToALongParameter() {
        Object[] args = valid();
        args[6] = false;
        args[3] = 42;
        args[5] = 0.5f; // a float widens to a double parameter
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer params = KernelArguments.pack(MIXED, args, null, stack);
            assertEquals(0, MemoryUtil.memGetInt(params.get(5)));
            assertEquals(42L, MemoryUtil.memGetLong(params.get(2)));
            assertEquals(0.5, MemoryUtil.memGetDouble(params.get(4)));
        }
    }

    @Test
    void theWrongNumberOfArgumentsNamesTheKernelAndItsParameters() {
        String msg = refused(new Object[3]);
        assertTrue(msg.contains("'mixed'") && msg.contains("takes 10") && msg.contains("got 3"), msg);
    }

    @Test
    void aScalarOfTheWrongTypeNamesTheParameter() {
        Object[] args = valid();
        args[2] = 7L;
        String msg = refused(args);
        assertTrue(msg.contains("'mixed' parameter 2 (int)") && msg.contains("Long 7"), msg);
        args = valid();
        args[4] = 1.0; // a double does not narrow to a float parameter
        assertTrue(refused(args).contains("parameter 4 (float)"));
    }

    @Test
    void nullArgumentsAreRefused() {
        Object[] args = valid();
        args[1] = null;
        assertTrue(refused(args).contains("parameter 1 (FloatArray) is null"));
    }

    @Test
    void aBufferOfTheWrongElementTypeIsRefused() {
        Object[] args = valid();
        args[1] = buffer(0x1000, ElementType.INT32);
        String msg = refused(args);
        assertTrue(msg.contains("parameter 1 (FloatArray)") && msg.contains("INT32"), msg);
    }

    @Test
    void aClosedBufferIsRefused() {
        Object[] args = valid();
        CudaBuffer closed = buffer(0x1000, ElementType.FLOAT32);
        closed.close();
        args[1] = closed;
        assertTrue(refused(args).contains("closed"));
    }

    @Test
    void aBufferOfAnotherBackendIsRefused() {
        Object[] args = valid();
        args[9] = new DeviceBuffer() {
            @Override
            public long byteSize() {
                return 4;
            }

            @Override
            public void close() {
            }

            @Override
            public String toString() {
                return "an OpenCL buffer";
            }
        };
        String msg = refused(args);
        assertTrue(msg.contains("parameter 9 (IntArray)") && msg.contains("device buffer of this CUDA device"), msg);
    }

    private static String refused(Object[] args) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            return assertThrows(IllegalArgumentException.class, () -> KernelArguments.pack(MIXED, args, null, stack)).getMessage();
        }
    }
}
