package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.KernelCompilationException;
import org.lte4j.runtime.compiler.KernelCompiler;
import org.lte4j.runtime.compiler.Target;

/**
 * Every kernel translates to both C dialects (no device needed): CUDA C is otherwise only
 * exercised on a GPU, so a construct the CUDA emitter rejects shows up here first.
 */
class KernelsTranslateTest {

    @ParameterizedTest
    @EnumSource(Target.class)
    void everyKernelTranslates(Target target) {
        List<String> failures = new ArrayList<>();
        int translated = 0;
        for (Class<?> c : KernelChecksTest.KERNEL_CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || !Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
                    continue;
                }
                try {
                    GeneratedKernel k = KernelCompiler.compileUncached(m, target, Map.of());
                    assertTrue(k.source().contains(k.entryName()), c.getSimpleName() + "." + m.getName() + ": entry not in source");
                    translated++;
                } catch (KernelCompilationException | UnsupportedOperationException e) {
                    failures.add(c.getSimpleName() + "." + m.getName() + ": " + e.getMessage());
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(translated >= 31, "translated " + translated);
    }
}
