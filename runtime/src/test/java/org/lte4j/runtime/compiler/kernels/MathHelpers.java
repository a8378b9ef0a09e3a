package org.lte4j.runtime.compiler.kernels;

/** Static helpers in another class, called from kernels (compiled as C helper functions). */
public final class MathHelpers {
    private MathHelpers() {
    }

    public static float dot4(float[] a, float[] b) {
        float s = 0f;
        for (int k = 0; k < 4; k++) {
            s += a[k] * b[k];
        }
        return s;
    }

    public static float clampedSilu(float v, float limit) {
        float c = clamp(v, -limit, limit);
        return c / (1.0f + (float) Math.exp(-c));
    }

    static float clamp(float v, float lo, float hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
}
