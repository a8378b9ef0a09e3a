package org.lte4j.runtime.selftest;

import java.lang.reflect.Method;
import java.util.List;

import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.graph.Task;

/**
 * How to exercise one kernel on fresh random inputs, for {@code lte4j selftest}: the runner
 * prepares the same inputs twice from one seed, runs the task on the JVM and on the device under
 * test, and compares the outputs.
 */
public interface KernelCheck {
    /** The kernel method this check exercises. */
    Method kernel();

    /** {@code Class::method}, as {@code lte4j kernel --list} prints it. */
    default String kernelName() {
        return kernel().getDeclaringClass().getSimpleName() + "::" + kernel().getName();
    }

    /** Builds inputs from {@code seed} (identically for equal seeds) and the task that runs on them. */
    Prepared prepare(long seed);

    /**
     * @param task      the kernel call, with its grid when it needs one
     * @param inputs    arrays to upload before the task
     * @param outputs   arrays to download and compare after it
     * @param tolerance allowed |device - jvm| relative to max(1, |jvm|) per element
     */
    record Prepared(Task task, List<NativeArray> inputs, List<NativeArray> outputs, double tolerance) {
    }
}
