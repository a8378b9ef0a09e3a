package org.lte4j.runtime.backend.jvm;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;

/** On the JVM a kernel is the Java method itself; nothing is generated. */
final class JvmKernel implements DeviceKernel {
    final Method method;
    final MethodHandle handle;
    private final GeneratedKernel description;

    JvmKernel(Method method) {
        this.method = method;
        try {
            method.setAccessible(true);
            this.handle = MethodHandles.lookup().unreflect(method).asSpreader(Object[].class, method.getParameterCount());
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("kernel " + method + " is not accessible: " + e.getMessage(), e);
        }
        List<ParamKind> params = new ArrayList<>();
        for (Class<?> t : method.getParameterTypes()) {
            ParamKind k = ParamKind.of(t);
            if (k == null) {
                throw new IllegalArgumentException(method.getDeclaringClass().getSimpleName() + "." + method.getName()
                        + ": parameter type " + t.getSimpleName() + " cannot be a kernel parameter");
            }
            params.add(k);
        }
        boolean usesContext = params.contains(ParamKind.CONTEXT);
        this.description = new GeneratedKernel(method.getName(), "", null, List.copyOf(params), OptionalInt.empty(),
                usesContext, usesContext && BarrierScan.usesBarrier(method), method.toGenericString());
    }

    @Override
    public GeneratedKernel generated() {
        return description;
    }

    @Override
    public void close() {
    }
}
