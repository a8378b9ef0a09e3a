package org.lte4j.kernels;

/**
 * Scalar activation functions that kernels call (not kernels themselves). They compute in
 * double on the JVM, as {@code Math.exp} does; a device may evaluate them in float.
 */
public final class Activations {
    private Activations() {
    }

    /** {@code 1 / (1 + e^-z)}. */
    public static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /** SiLU (swish): {@code z * sigmoid(z)}. */
    public static float silu(float z) {
        return (float) (z / (1.0 + Math.exp(-z)));
    }
}
