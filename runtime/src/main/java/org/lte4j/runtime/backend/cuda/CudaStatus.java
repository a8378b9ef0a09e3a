package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.CUDA_SUCCESS;

import org.lte4j.runtime.backend.BackendException;
import org.lwjgl.PointerBuffer;
import org.lwjgl.cuda.CU;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/** Turns CUDA driver result codes into exceptions that name the call, the error and the task. */
final class CudaStatus {
    private CudaStatus() {
    }

    /** Throws a BackendException unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String call, String doing) {
        if (result != CUDA_SUCCESS) {
            throw new BackendException(message(result, call, doing));
        }
    }

    static String message(int result, String call, String doing) {
        return call + " failed with " + name(result) + " while " + doing;
    }

    /** {@code CUDA_ERROR_OUT_OF_MEMORY (out of memory)}, or the bare code when the driver cannot say. */
    static String name(int result) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer name = stack.mallocPointer(1);
            PointerBuffer text = stack.mallocPointer(1);
            String n = CU.cuGetErrorName(result, name) == CUDA_SUCCESS && name.get(0) != 0
                    ? MemoryUtil.memUTF8(name.get(0)) : "CUDA error " + result;
            String t = CU.cuGetErrorString(result, text) == CUDA_SUCCESS && text.get(0) != 0
                    ? MemoryUtil.memUTF8(text.get(0)) : null;
            return t == null ? n : n + " (" + t + ")";
        } catch (Throwable t) { // the driver itself is unusable: the code is all there is
            return "CUDA error " + result;
        }
    }
}
