package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.Parallel;

/**
 * Element-wise kernels in loop style: the {@code @Parallel} loop becomes the index space, so any
 * 1-D grid works (the default grid covers {@code n}).
 */
public final class VectorOps {
    private VectorOps() {
    }

    /**
     * {@code y[i] = alpha * x[i] + y[i]} for {@code i < n}.
     * Grid: any 1-D (default covers n). Traffic: reads 8n bytes, writes 4n.
     */
    public static void saxpy(float alpha, FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(i, alpha * x.get(i) + y.get(i));
        }
    }

    /**
     * Residual add: {@code acc[i] += delta[i]} for {@code i < n}.
     * Grid: any 1-D. Traffic: reads 8n bytes, writes 4n.
     */
    public static void addInPlace(FloatArray acc, FloatArray delta, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            acc.set(i, acc.get(i) + delta.get(i));
        }
    }

    /**
     * SwiGLU's element-wise step: {@code out[i] = silu(gate[i]) * up[i]} for {@code i < n};
     * {@code out} may be {@code gate} or {@code up}.
     * Grid: any 1-D. Traffic: reads 8n bytes, writes 4n.
     */
    public static void siluGateTimesUp(FloatArray gate, FloatArray up, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(i, Activations.silu(gate.get(i)) * up.get(i));
        }
    }
}
