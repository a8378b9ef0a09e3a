package org.lte4j.kernels.checks;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;

/** A {@link KernelCheck} made of a kernel method (found by its unique name) and a seeded preparation. */
final class Check implements KernelCheck {
    private final Method kernel;
    private final LongFunction<Prepared> prepare;

    private Check(Method kernel, LongFunction<Prepared> prepare) {
        this.kernel = kernel;
        this.prepare = prepare;
    }

    static Check of(Class<?> owner, String methodName, LongFunction<Prepared> prepare) {
        Method found = null;
        for (Method m : owner.getDeclaredMethods()) {
            if (m.getName().equals(methodName) && Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers())) {
                if (found != null) {
                    throw new IllegalStateException(owner.getSimpleName() + "." + methodName + " is overloaded; a kernel name must be unique");
                }
                found = m;
            }
        }
        if (found == null) {
            throw new IllegalStateException("no kernel " + owner.getSimpleName() + "." + methodName);
        }
        return new Check(found, prepare);
    }

    @Override
    public Method kernel() {
        return kernel;
    }

    @Override
    public Prepared prepare(long seed) {
        Prepared p = prepare.apply(seed);
        if (!p.task().kernel().equals(kernel)) {
            throw new IllegalStateException("check for " + kernelName() + " built a task for " + p.task().kernel().getName());
        }
        return p;
    }

    /**
     * Outputs are uploaded too, so entries a kernel leaves alone (inactive experts, unused slots)
     * start from the same zeros on every device.
     */
    static Prepared prepared(Task task, double tolerance, List<? extends NativeArray> inputs, NativeArray... outputs) {
        List<NativeArray> uploads = new ArrayList<>(inputs);
        for (NativeArray o : outputs) {
            if (!uploads.contains(o)) {
                uploads.add(o);
            }
        }
        return new Prepared(task, List.copyOf(uploads), List.of(outputs), tolerance);
    }
}
