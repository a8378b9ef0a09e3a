package org.lte4j.runtime.backend.cuda;

import java.util.List;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * Checks launch arguments against a kernel's parameters and lays them out as the
 * {@code kernelParams} array of {@code cuLaunchKernel}: one pointer per device parameter, each
 * pointing at the value (a {@code CUdeviceptr} for arrays; int, long, float, double by value;
 * boolean as int). The KernelContext parameter has no device counterpart (see {@link ParamKind}).
 */
final class KernelArguments {
    private KernelArguments() {
    }

    /**
     * Validates {@code args} and writes them on {@code stack}.
     *
     * @param owner the device that must own every buffer argument
     * @return the kernelParams array, valid until the stack frame is popped
     * @throws IllegalArgumentException naming the kernel and parameter when an argument does not fit
     */
    static PointerBuffer pack(GeneratedKernel kernel, Object[] args, CudaDevice owner, MemoryStack stack) {
        List<ParamKind> params = kernel.params();
        if (args == null || args.length != params.size()) {
            throw new IllegalArgumentException("kernel '" + kernel.entryName() + "' takes " + params.size()
                    + " arguments " + params + ", got " + (args == null ? "none" : args.length));
        }
        PointerBuffer out = stack.mallocPointer(Math.max(1, params.size())); // CONTEXT's slot stays unused
        for (int i = 0; i < params.size(); i++) {
            ParamKind kind = params.get(i);
            if (kind == ParamKind.CONTEXT) {
                continue;
            }
            long slot = stack.nmalloc(8, 8);
            write(kernel, i, kind, args[i], owner, slot);
            out.put(slot);
        }
        return out.flip();
    }

    private static void write(GeneratedKernel kernel, int index, ParamKind kind, Object arg, CudaDevice owner, long slot) {
        if (arg == null) {
            throw bad(kernel, index, kind, "is null");
        }
        switch (kind) {
            case FLOAT_ARRAY, HALF_ARRAY, INT_ARRAY, BYTE_ARRAY -> MemoryUtil.memPutAddress(slot,
                    buffer(kernel, index, kind, arg, owner).devicePointer());
            case INT -> MemoryUtil.memPutInt(slot, scalar(kernel, index, kind, arg, Integer.class).intValue());
            case LONG -> {
                if (!(arg instanceof Long) && !(arg instanceof Integer)) {
                    throw bad(kernel, index, kind, "expects a long, got " + describe(arg));
                }
                MemoryUtil.memPutLong(slot, ((Number) arg).longValue());
            }
            case FLOAT -> MemoryUtil.memPutFloat(slot, scalar(kernel, index, kind, arg, Float.class).floatValue());
            case DOUBLE -> {
                if (!(arg instanceof Double) && !(arg instanceof Float)) {
                    throw bad(kernel, index, kind, "expects a double, got " + describe(arg));
                }
                MemoryUtil.memPutDouble(slot, ((Number) arg).doubleValue());
            }
            case BOOLEAN -> MemoryUtil.memPutInt(slot, scalar(kernel, index, kind, arg, Boolean.class) ? 1 : 0);
            case CONTEXT -> throw new IllegalStateException("the context parameter has no device value");
        }
    }

    private static CudaBuffer buffer(GeneratedKernel kernel, int index, ParamKind kind, Object arg, CudaDevice owner) {
        if (!(arg instanceof CudaBuffer b)) {
            throw bad(kernel, index, kind, "expects a device buffer of this CUDA device, got " + describe(arg));
        }
        if (b.device() != owner) {
            throw bad(kernel, index, kind, "got " + b + ", which belongs to another device");
        }
        if (b.isClosed()) {
            throw bad(kernel, index, kind, "got " + b + ", which was closed");
        }
        NativeArray.ElementType expected = elementType(kind);
        if (b.elementType() != expected) {
            throw bad(kernel, index, kind, "expects " + kind.javaType.getSimpleName() + " (" + expected
                    + " elements), got a buffer of " + b.elementType() + " elements (" + b + ")");
        }
        return b;
    }

    static NativeArray.ElementType elementType(ParamKind kind) {
        return switch (kind) {
            case FLOAT_ARRAY -> NativeArray.ElementType.FLOAT32;
            case HALF_ARRAY -> NativeArray.ElementType.FLOAT16;
            case INT_ARRAY -> NativeArray.ElementType.INT32;
            case BYTE_ARRAY -> NativeArray.ElementType.INT8;
            default -> throw new IllegalArgumentException(kind + " is not an array");
        };
    }

    private static <T> T scalar(GeneratedKernel kernel, int index, ParamKind kind, Object arg, Class<T> type) {
        if (!type.isInstance(arg)) {
            throw bad(kernel, index, kind, "expects " + (kind == ParamKind.INT ? "an " : "a ")
                    + kind.javaType.getName() + ", got " + describe(arg));
        }
        return type.cast(arg);
    }

    private static String describe(Object arg) {
        return arg.getClass().getSimpleName() + " " + arg;
    }

    private static IllegalArgumentException bad(GeneratedKernel kernel, int index, ParamKind kind, String what) {
        return new IllegalArgumentException("kernel '" + kernel.entryName() + "' parameter " + index + " ("
                + kind.javaType.getSimpleName() + ") " + what);
    }
}
