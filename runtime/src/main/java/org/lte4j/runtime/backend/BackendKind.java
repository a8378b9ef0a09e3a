package org.lte4j.runtime.backend;

import org.lte4j.runtime.compiler.Target;

/** The backends lte4j knows, and the C dialect each one compiles (none for the JVM). */
public enum BackendKind {
    JVM("jvm", null),
    OPENCL("opencl", Target.OPENCL_C),
    CUDA("cuda", Target.CUDA_C);

    public final String specName;
    public final Target target;

    BackendKind(String specName, Target target) {
        this.specName = specName;
        this.target = target;
    }
}
