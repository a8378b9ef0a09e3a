package org.lte4j.runtime.graph;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.lte4j.runtime.api.KernelCall;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;

/**
 * One kernel invocation in a task graph: a name (for profiles and errors), the kernel method,
 * its bound arguments, an optional launch grid, and the scalar arguments to specialise (bake
 * into the generated code as constants). Tasks are values: the same {@code Task} object is
 * the handle an {@link ExecutionPlan} uses to override its grid, so no string ids are shared.
 */
public final class Task {
    private final String name;
    private final Method kernel;
    private final Object[] args;
    private final WorkerGrid grid;
    private final int[] specialised;

    private Task(String name, Method kernel, Object[] args, WorkerGrid grid, int[] specialised) {
        this.name = name;
        this.kernel = kernel;
        this.args = args;
        this.grid = grid;
        this.specialised = specialised;
    }

    /** {@code Task.of("saxpy", () -> Kernels.saxpy(alpha, x, y, n))}. */
    public static Task of(String name, KernelCall call) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a task needs a name");
        }
        if (call == null) {
            throw new IllegalArgumentException("task '" + name + "': the kernel call is null");
        }
        KernelCallResolver.ResolvedCall resolved = KernelCallResolver.resolve(name, call);
        validateArguments(name, resolved.kernel(), resolved.args());
        return new Task(name, resolved.kernel(), resolved.args(), null, new int[0]);
    }

    /** The same task launched on {@code grid} (required for KernelContext kernels). */
    public Task withGrid(WorkerGrid grid) {
        return new Task(name, kernel, args, grid, specialised);
    }

    /** The same task with the scalar parameters at these indices compiled in as constants. */
    public Task specialising(int... parameterIndices) {
        for (int i : parameterIndices) {
            if (i < 0 || i >= args.length || args[i] instanceof NativeArray || args[i] instanceof KernelContext) {
                throw new IllegalArgumentException("task '" + name + "': parameter " + i + " is not a scalar and cannot be specialised");
            }
        }
        return new Task(name, kernel, args, grid, parameterIndices.clone());
    }

    public String name() {
        return name;
    }

    public Method kernel() {
        return kernel;
    }

    public Object[] args() {
        return args.clone();
    }

    Object arg(int i) {
        return args[i];
    }

    public Optional<WorkerGrid> grid() {
        return Optional.ofNullable(grid);
    }

    public Map<Integer, Object> specialisations() {
        Map<Integer, Object> m = new LinkedHashMap<>();
        for (int i : specialised) {
            m.put(i, args[i]);
        }
        return m;
    }

    @Override
    public String toString() {
        return name + " -> " + kernel.getDeclaringClass().getSimpleName() + "::" + kernel.getName();
    }

    private static void validateArguments(String name, Method kernel, Object[] args) {
        Class<?>[] types = kernel.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            Object a = args[i];
            if (a == null) {
                throw new IllegalArgumentException("task '" + name + "': argument " + i + " ("
                        + types[i].getSimpleName() + ") of " + kernel.getName() + " is null");
            }
            if (!types[i].isPrimitive() && !types[i].isInstance(a)) {
                throw new IllegalArgumentException("task '" + name + "': argument " + i + " of " + kernel.getName()
                        + " must be " + types[i].getSimpleName() + " but is " + a.getClass().getSimpleName());
            }
            if (types[i] != KernelContext.class && !types[i].isPrimitive() && !NativeArray.class.isAssignableFrom(types[i])) {
                throw new IllegalArgumentException("task '" + name + "': parameter " + i + " of " + kernel.getName()
                        + " has type " + types[i].getSimpleName() + "; kernels take FloatArray, HalfArray, IntArray, ByteArray, primitives and KernelContext");
            }
        }
    }

    static String describe(Object[] args) {
        return Arrays.toString(args);
    }
}
