package org.lte4j.runtime.compiler;

/** The C dialects the compiler emits. */
public enum Target {
    OPENCL_C("opencl"),
    CUDA_C("cuda");

    public final String cliName;

    Target(String cliName) {
        this.cliName = cliName;
    }

    public static Target fromCliName(String name) {
        for (Target t : values()) {
            if (t.cliName.equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown target '" + name + "' (expected opencl or cuda)");
    }
}
