package org.lte4j.runtime.compiler;

import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

import org.lte4j.runtime.api.KernelContext;

/**
 * Facts about a kernel method that other parts (the JVM backend, task graphs, error messages)
 * need without compiling it to C.
 */
public final class KernelIntrospection {
    private KernelIntrospection() {
    }

    /**
     * Whether the kernel, or a static method it calls, calls {@code KernelContext.localBarrier()} or
     * {@code globalBarrier()}. Answers true when the class file cannot be read, which is the safe
     * answer for a caller choosing between a plain loop and one thread per work-item.
     */
    public static boolean usesBarrier(Method kernel) {
        ClassFiles files = new ClassFiles(kernel.getDeclaringClass().getClassLoader());
        String owner = ClassFiles.internalName(kernel.getDeclaringClass());
        if (files.method(owner, kernel.getName(), descriptor(kernel)).isEmpty()) {
            return true;
        }
        return CallGraph.scan(files, owner, kernel.getName(), descriptor(kernel)).usesBarrier();
    }

    /** Whether the kernel is written in kernel style (takes a {@link KernelContext}). */
    public static boolean usesContext(Method kernel) {
        for (Class<?> p : kernel.getParameterTypes()) {
            if (p == KernelContext.class) {
                return true;
            }
        }
        return false;
    }

    /** {@code "Class::method"}, the way messages and profiles name a kernel. */
    public static String describe(Method kernel) {
        return kernel.getDeclaringClass().getSimpleName() + "::" + kernel.getName();
    }

    static String descriptor(Method m) {
        return MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString();
    }
}
