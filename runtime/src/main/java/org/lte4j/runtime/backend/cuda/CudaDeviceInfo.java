package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.lwjgl.cuda.CU.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.lwjgl.cuda.CU.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK;
import static org.lwjgl.cuda.CU.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
import static org.lwjgl.cuda.CU.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
import static org.lwjgl.cuda.CU.cuDeviceGetAttribute;
import static org.lwjgl.cuda.CU.cuDeviceGetName;
import static org.lwjgl.cuda.CU.cuDeviceTotalMem;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/** What the driver says about one device, read once at discovery (no context needed). */
record CudaDeviceInfo(int ordinal, String name, long totalMemoryBytes, int multiprocessors, int computeMajor,
                      int computeMinor, int maxThreadsPerBlock, int maxSharedMemoryPerBlock, String driverVersion,
                      String nvrtcVersion) {

    static CudaDeviceInfo read(int ordinal, CudaLibraries.Loaded loaded) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            ByteBuffer name = stack.malloc(256);
            CudaStatus.check(cuDeviceGetName(name, ordinal), "cuDeviceGetName", "reading the name of CUDA device " + ordinal);
            PointerBuffer total = stack.mallocPointer(1);
            CudaStatus.check(cuDeviceTotalMem(total, ordinal), "cuDeviceTotalMem", "reading the memory of CUDA device " + ordinal);
            return new CudaDeviceInfo(ordinal, MemoryUtil.memUTF8(MemoryUtil.memAddress(name)).trim(), total.get(0),
                    attribute(stack, ordinal, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count"),
                    attribute(stack, ordinal, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability"),
                    attribute(stack, ordinal, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability"),
                    attribute(stack, ordinal, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, "threads per block"),
                    attribute(stack, ordinal, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, "shared memory per block"),
                    loaded.driverVersionText(), loaded.nvrtcVersionText());
        }
    }

    private static int attribute(MemoryStack stack, int ordinal, int attribute, String what) {
        IntBuffer value = stack.mallocInt(1);
        CudaStatus.check(cuDeviceGetAttribute(value, attribute, ordinal), "cuDeviceGetAttribute",
                "reading the " + what + " of CUDA device " + ordinal);
        return value.get(0);
    }

    /** {@code 90} for compute capability 9.0. */
    int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }
}
