package org.lte4j.model.sparse;

import java.lang.foreign.Arena;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * One layer's router: {@code G_i(x) = sigmoid(x . row_i)} per expert, no bias. An expert is
 * active when {@code G_i > threshold}; the gate value itself does not scale the expert's output
 * at inference. The logits are one F32 matrix-vector product (Vector API, parallel when large).
 */
public final class ExpertRouter {
    private final Tensor weights; // F32 [experts][dim]

    /** {@code weights} is {@code [experts][dim]} row-major; it is copied. */
    public ExpertRouter(float[] weights, int experts, int dim) {
        if ((long) experts * dim != weights.length) {
            throw new IllegalArgumentException("router of " + weights.length + " values is not " + experts + " x " + dim);
        }
        this.weights = Tensor.fromFloats("ffn_router", GgmlType.F32, new long[]{experts, dim}, weights, Arena.ofAuto());
    }

    public int experts() {
        return weights.rows();
    }

    public int dim() {
        return weights.cols();
    }

    /** Router row {@code e} (a copy). */
    public float[] row(int e) {
        float[] r = new float[dim()];
        weights.rowTo(e, r, 0);
        return r;
    }

    /** The gate of expert {@code e} for input {@code x}. */
    public double gate(int e, float[] x) {
        return sigmoid(weights.dot(e, x, 0));
    }

    /**
     * Writes the indices of the active experts, ascending, into {@code active} and returns how
     * many there are.
     */
    public int route(float[] x, float threshold, int[] active) {
        float[] logits = new float[experts()];
        weights.matVec(x, logits);
        int n = 0;
        for (int e = 0; e < logits.length; e++) {
            if (sigmoid(logits[e]) > threshold) {
                active[n++] = e;
            }
        }
        return n;
    }

    /** In double: a gate is 0 only below a logit of about -745, so threshold 0 keeps every expert. */
    private static double sigmoid(float logit) {
        return 1 / (1 + Math.exp(-(double) logit));
    }
}
