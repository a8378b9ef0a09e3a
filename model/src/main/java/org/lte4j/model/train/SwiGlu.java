package org.lte4j.model.train;

/** The SwiGLU neuron activation {@code h = silu(g) * u} with its derivative. */
public final class SwiGlu {
    private SwiGlu() {
    }

    public static float silu(float g) {
        return g / (1f + (float) Math.exp(-g));
    }

    public static void forward(Parallel par, float[] g, float[] u, float[] h, int count) {
        par.forRange(count, (i0, i1) -> {
            for (int i = i0; i < i1; i++) h[i] = silu(g[i]) * u[i];
        });
    }

    /** Overwrites dg and du from dh. */
    public static void backward(Parallel par, float[] g, float[] u, float[] dh, float[] dg, float[] du, int count) {
        par.forRange(count, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float x = g[i];
                float sig = 1f / (1f + (float) Math.exp(-x));
                float silu = x * sig;
                du[i] = dh[i] * silu;
                dg[i] = dh[i] * u[i] * (sig * (1f + x * (1f - sig)));
            }
        });
    }
}
