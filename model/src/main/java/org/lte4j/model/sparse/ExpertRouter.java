package org.lte4j.model.sparse;

/**
 * One layer's router: {@code G_i(x) = sigmoid(x . row_i)} per expert, no bias. An expert is
 * active when {@code G_i > threshold}; the gate value itself does not scale the expert's output
 * at inference.
 */
public final class ExpertRouter {
    private final float[] weights; // [experts][dim]
    private final int experts;
    private final int dim;

    /** {@code weights} is {@code [experts][dim]} row-major; it is copied. */
    public ExpertRouter(float[] weights, int experts, int dim) {
        if ((long) experts * dim != weights.length) {
            throw new IllegalArgumentException("router of " + weights.length + " values is not " + experts + " x " + dim);
        }
        this.weights = weights.clone();
        this.experts = experts;
        this.dim = dim;
    }

    public int experts() {
        return experts;
    }

    public int dim() {
        return dim;
    }

    /** Router row {@code e} (a copy). */
    public float[] row(int e) {
        float[] r = new float[dim];
        System.arraycopy(weights, e * dim, r, 0, dim);
        return r;
    }

    /** The gate of expert {@code e} for input {@code x}. */
    public double gate(int e, float[] x) {
        double logit = 0;
        int o = e * dim;
        for (int i = 0; i < dim; i++) {
            logit += (double) weights[o + i] * x[i];
        }
        return 1 / (1 + Math.exp(-logit)); // in double: a gate is 0 only below a logit of about -745
    }

    /**
     * Writes the indices of the active experts, ascending, into {@code active} and returns how
     * many there are.
     */
    public int route(float[] x, float threshold, int[] active) {
        int n = 0;
        for (int e = 0; e < experts; e++) {
            if (gate(e, x) > threshold) {
                active[n++] = e;
            }
        }
        return n;
    }
}
