package org.lte4j.runtime.compiler;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * Java kernel method -> OpenCL C or CUDA C. Entry point of the compiler; results are cached in
 * memory and on disk by bytecode hash, specialisations and target.
 */
public final class KernelCompiler {
    private KernelCompiler() {
    }

    /**
     * Compiles {@code kernel} (a static void method) for {@code target}.
     *
     * @param specialisations scalar arguments, by Java parameter index, whose values are baked
     *                        into the code as constants (e.g. a local-array size)
     * @throws KernelCompilationException when the method uses unsupported Java
     */
    public static GeneratedKernel compile(Method kernel, Target target, Map<Integer, Object> specialisations) {
        throw new UnsupportedOperationException("compiler not yet written");
    }
}
