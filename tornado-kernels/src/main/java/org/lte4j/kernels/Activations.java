package org.lte4j.kernels;

/**
 * Scalar activation functions that kernels call (not kernels themselves). Written in fp32 (the
 * compiler narrows {@code (float) Math.exp(float)} to the device's float exp), so they need no
 * fp64 on the device; {@link #silu} is the expression {@code LlamaModel} uses.
 */
public final class Activations {
    private Activations() {
    }

    /** {@code 1 / (1 + e^-z)}. */
    public static float sigmoid(float z) {
        return 1f / (1f + (float) Math.exp(-z));
    }

    /** SiLU (swish): {@code z * sigmoid(z)}. */
    public static float silu(float z) {
        return z / (1f + (float) Math.exp(-z));
    }
}
