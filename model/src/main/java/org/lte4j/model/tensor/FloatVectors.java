package org.lte4j.model.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products and scaled adds of float arrays with the Vector API, for the short vectors of
 * attention heads, norms and training (the weight products have their own loops in
 * {@link Tensor}). Every sum has a fixed order, so a result does not depend on whether the JIT has
 * compiled the caller yet: {@code reduceLanes(ADD)} may add lanes in any order.
 */
public final class FloatVectors {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    private FloatVectors() {
    }

    /**
     * The dot product of {@code len} floats: lane-wise fused multiply-adds, then the lanes added in
     * order, then the tail. A scalar {@code s += a * b} loop is one dependent chain of adds that
     * the JIT may not reorder; this one is about as long as the vector.
     */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        int i = 0;
        int bound = S.loopBound(len);
        float s = 0f;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            float[] lanes = LANES.get();
            acc.intoArray(lanes, 0);
            for (int k = 0; k < L; k++) {
                s += lanes[k];
            }
        }
        for (; i < len; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /** {@code y[yo..] += alpha * x[xo..]} over {@code len} floats (fused multiply-adds). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        int bound = S.loopBound(len);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < len; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }
}
