package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.SelfTest;

/** Every kernel has a registered check, and every check runs (JVM against JVM) and passes. */
class KernelChecksTest {
    static final List<Class<?>> KERNEL_CLASSES = List.of(VectorOps.class, Reductions.class, MatVec.class, FusedMatVec.class, QuantizedInputMatVec.class, Normalization.class,
            Softmax.class, Rope.class, Embedding.class, Attention.class, Router.class, Experts.class, ExpertsRowPerItem.class,
            BatchMatMul.class, TokenBatch.class, BatchAttention.class);

    @Test
    void everyKernelHasExactlyOneCheck() {
        Set<String> kernels = new TreeSet<>();
        for (Class<?> c : KERNEL_CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && m.getReturnType() == void.class) {
                    kernels.add(c.getSimpleName() + "::" + m.getName());
                }
            }
        }
        List<String> checked = new ArrayList<>();
        for (KernelCheck check : SelfTest.allChecks()) {
            if (check.kernel().getDeclaringClass().getPackageName().equals("org.lte4j.kernels")) {
                checked.add(check.kernelName());
            }
        }
        assertEquals(kernels, new TreeSet<>(checked), "kernels without checks, or checks of no kernel");
        assertEquals(checked.size(), new TreeSet<>(checked).size(), "a kernel with two checks: " + checked);
    }

    @Test
    void everyCheckRunsOnTheJvm() {
        List<String> lines = new ArrayList<>();
        SelfTest.Summary s = SelfTest.run(new JvmDevice(), 42, lines::add);
        assertEquals(0, s.failed(), String.join("\n", lines));
        assertTrue(s.passed() >= 29, String.join("\n", lines));
    }

    @Test
    void checksBuildTheSameInputsFromTheSameSeed() {
        for (KernelCheck check : SelfTest.allChecks()) {
            KernelCheck.Prepared a = check.prepare(7);
            KernelCheck.Prepared b = check.prepare(7);
            assertEquals(a.inputs().size(), b.inputs().size());
            for (int i = 0; i < a.inputs().size(); i++) {
                assertEquals(0.0, SelfTest.maxRelativeError(a.inputs().get(i), b.inputs().get(i)),
                        check.kernelName() + " input " + i + " differs between two preparations of one seed");
            }
        }
        assertTrue(SelfTest.allChecks().stream().map(KernelCheck::kernelName).collect(Collectors.toSet()).size() > 0);
    }
}
