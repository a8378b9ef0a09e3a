package org.lte4j.model.train;

import org.lte4j.model.tensor.FloatVectors;

/**
 * RMSNorm over rows: {@code y = x / sqrt(mean(x^2) + eps) * w}. Forward keeps the reciprocal
 * RMS of every row for the backward pass.
 */
public final class RmsNorm {
    private RmsNorm() {
    }

    public static void forward(Parallel par, float[] x, float[] w, float[] y, float[] invRms, int n, int dim,
                               float eps) {
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float ss = FloatVectors.dot(x, o, x, o, dim);
                float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
                invRms[r] = inv;
                for (int i = 0; i < dim; i++) y[o + i] = x[o + i] * inv * w[i];
            }
        });
    }

    /**
     * Adds the input gradient to {@code dx} and the weight gradient to {@code dw}. The weight
     * gradient is a reduction over rows, done in row order on one thread so it is deterministic.
     */
    public static void backward(Parallel par, float[] x, float[] w, float[] invRms, float[] dy, float[] dx,
                                float[] dw, int n, int dim) {
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float inv = invRms[r];
                float s = 0f;
                for (int i = 0; i < dim; i++) s += dy[o + i] * w[i] * x[o + i];
                float c = inv * inv * inv * s / dim;
                for (int i = 0; i < dim; i++) dx[o + i] += inv * dy[o + i] * w[i] - c * x[o + i];
            }
        });
        if (dw != null) {
            par.forRange(dim, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    float s = 0f;
                    for (int r = 0; r < n; r++) s += dy[r * dim + i] * x[r * dim + i] * invRms[r];
                    dw[i] += s;
                }
            });
        }
    }
}
