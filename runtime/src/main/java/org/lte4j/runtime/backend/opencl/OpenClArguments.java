package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.clSetKernelArg1d;
import static org.lwjgl.opencl.CL10.clSetKernelArg1f;
import static org.lwjgl.opencl.CL10.clSetKernelArg1i;
import static org.lwjgl.opencl.CL10.clSetKernelArg1l;
import static org.lwjgl.opencl.CL10.clSetKernelArg1p;

import java.util.List;

import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;

/**
 * The launch ABI of {@link ParamKind}: every Java parameter but the KernelContext, in order; arrays
 * as cl_mem, scalars by value, boolean as int. Checks each argument before the driver sees it, so
 * that a mistake is reported with the kernel, the parameter index and what was expected.
 */
final class OpenClArguments {
    private OpenClArguments() {
    }

    /** Validates {@code args} (and {@code hostArrays}, when given) and sets them on the kernel. */
    static void set(OpenClKernel kernel, Object[] args, NativeArray[] hostArrays) {
        GeneratedKernel g = kernel.generated();
        List<ParamKind> params = g.params();
        String name = "kernel " + g.entryName();
        if (args == null) {
            throw new IllegalArgumentException(name + ": args is null; expected " + params.size()
                    + " arguments " + signature(params));
        }
        if (args.length != params.size()) {
            throw new IllegalArgumentException(name + " takes " + params.size() + " arguments " + signature(params)
                    + " (one per Java parameter, null for the KernelContext), but received " + args.length);
        }
        if (hostArrays != null && hostArrays.length != args.length) {
            throw new IllegalArgumentException(name + ": hostArrays has " + hostArrays.length
                    + " entries; expected one per argument (" + args.length + ")");
        }
        long k = kernel.handle();
        int clIndex = 0;
        for (int i = 0; i < params.size(); i++) {
            ParamKind kind = params.get(i);
            Object arg = args[i];
            String where = name + ", parameter " + i + " (" + typeName(kind) + ")";
            if (kind == ParamKind.CONTEXT) {
                if (arg != null && !(arg instanceof KernelContext)) {
                    throw new IllegalArgumentException(where + ": expected null or a KernelContext, received "
                            + describe(arg));
                }
                continue;
            }
            int code;
            String call;
            if (kind.isArray()) {
                OpenClBuffer buffer = buffer(kernel, where, kind, arg);
                NativeArray host = hostArrays == null ? null : hostArrays[i];
                if (host != null && (host.elementType() != buffer.elementType || host.byteSize() != buffer.byteSize())) {
                    throw new IllegalArgumentException(where + ": the host array " + host + " (" + host.byteSize()
                            + " bytes) does not match its device buffer " + buffer + " (" + buffer.byteSize() + " bytes)");
                }
                call = "clSetKernelArg (buffer " + buffer + ")";
                code = clSetKernelArg1p(k, clIndex, buffer.handle());
            } else {
                call = "clSetKernelArg (" + describe(arg) + ")";
                code = switch (kind) {
                    case INT -> clSetKernelArg1i(k, clIndex, scalar(where, Integer.class, arg));
                    case LONG -> clSetKernelArg1l(k, clIndex, scalar(where, Long.class, arg));
                    case FLOAT -> clSetKernelArg1f(k, clIndex, scalar(where, Float.class, arg));
                    case DOUBLE -> clSetKernelArg1d(k, clIndex, scalar(where, Double.class, arg));
                    case BOOLEAN -> clSetKernelArg1i(k, clIndex, scalar(where, Boolean.class, arg) ? 1 : 0);
                    default -> throw new IllegalStateException("unhandled parameter kind " + kind);
                };
            }
            OpenClStatus.check(code, call, "setting argument " + clIndex + " of " + name + " (Java " + where + ")");
            clIndex++;
        }
    }

    private static OpenClBuffer buffer(OpenClKernel kernel, String where, ParamKind kind, Object arg) {
        String expected = "a device buffer allocated for a " + kind.javaType.getSimpleName();
        if (arg == null) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", received null");
        }
        if (arg instanceof NativeArray host) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", received the host array " + host
                    + "; allocate it on the device and pass the DeviceBuffer");
        }
        if (!(arg instanceof OpenClBuffer buffer)) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", received " + describe(arg));
        }
        if (buffer.device != kernel.device) {
            throw new IllegalArgumentException(where + ": buffer " + buffer + " belongs to another device than "
                    + kernel);
        }
        if (buffer.isClosed()) {
            throw new IllegalArgumentException(where + ": buffer " + buffer + " is closed");
        }
        if (elementTypeOf(kind) != buffer.elementType) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", received " + buffer
                    + " which holds " + buffer.elementType);
        }
        return buffer;
    }

    private static <T> T scalar(String where, Class<T> boxed, Object arg) {
        if (!boxed.isInstance(arg)) {
            throw new IllegalArgumentException(where + ": expected a " + boxed.getSimpleName() + ", received "
                    + describe(arg));
        }
        return boxed.cast(arg);
    }

    static NativeArray.ElementType elementTypeOf(ParamKind kind) {
        return switch (kind) {
            case FLOAT_ARRAY -> NativeArray.ElementType.FLOAT32;
            case HALF_ARRAY -> NativeArray.ElementType.FLOAT16;
            case INT_ARRAY -> NativeArray.ElementType.INT32;
            case BYTE_ARRAY -> NativeArray.ElementType.INT8;
            default -> throw new IllegalArgumentException(kind + " is not an array");
        };
    }

    private static String typeName(ParamKind kind) {
        return kind.javaType.getSimpleName();
    }

    private static String signature(List<ParamKind> params) {
        return "(" + String.join(", ", params.stream().map(OpenClArguments::typeName).toList()) + ")";
    }

    private static String describe(Object arg) {
        return arg == null ? "null" : arg.getClass().getSimpleName() + " " + arg;
    }
}
