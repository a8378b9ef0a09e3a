package org.lte4j.model.lte;

import org.lte4j.model.train.NeuronMasker;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainableLlama;

/**
 * Baseline in the style of MoEfication: per layer a linear router (no bias) predicts each
 * expert's activation norm {@code ||h_e||} from the FFN input, fitted by ridge regression on
 * calibration data; each token runs the {@code k} experts with the largest predictions.
 */
public final class MoeficationTopK implements NeuronMasker {
    private final float[][] routers; // [layer][experts * dim]
    private final int experts, expertSize, dim;
    private int k;

    private MoeficationTopK(float[][] routers, int experts, int expertSize, int dim) {
        this.routers = routers;
        this.experts = experts;
        this.expertSize = expertSize;
        this.dim = dim;
        this.k = experts;
    }

    public static MoeficationTopK fit(TrainableLlama model, TokenBatches batches, int count, int expertSize) {
        int layers = model.config().layers(), dim = model.config().dim(), ffn = model.config().ffnDim();
        int experts = ffn / expertSize;
        double[][] xtx = new double[layers][dim * dim];
        double[][] xty = new double[layers][dim * experts];
        ActivationSampler.sample(model, batches, count, 2_000_000, (l, f, h, n) -> {
            double[] a = xtx[l], b = xty[l];
            double[] y = new double[experts];
            for (int r = 0; r < n; r++) {
                for (int e = 0; e < experts; e++) {
                    double s = 0;
                    for (int j = e * expertSize; j < (e + 1) * expertSize; j++) s += (double) h[r * ffn + j] * h[r * ffn + j];
                    y[e] = Math.sqrt(s);
                }
                for (int i = 0; i < dim; i++) {
                    double fi = f[r * dim + i];
                    for (int j = 0; j < dim; j++) a[i * dim + j] += fi * f[r * dim + j];
                    for (int e = 0; e < experts; e++) b[i * experts + e] += fi * y[e];
                }
            }
        });
        float[][] routers = new float[layers][experts * dim];
        for (int l = 0; l < layers; l++) {
            double[] a = xtx[l];
            double ridge = 1e-3 * trace(a, dim) / dim + 1e-8;
            for (int i = 0; i < dim; i++) a[i * dim + i] += ridge;
            double[] sol = solve(a, xty[l], dim, experts);
            for (int e = 0; e < experts; e++) {
                for (int i = 0; i < dim; i++) routers[l][e * dim + i] = (float) sol[i * experts + e];
            }
        }
        return new MoeficationTopK(routers, experts, expertSize, dim);
    }

    private static double trace(double[] a, int n) {
        double t = 0;
        for (int i = 0; i < n; i++) t += a[i * n + i];
        return t;
    }

    /** Solves A X = B (A symmetric positive definite n x n, B n x m) by Gaussian elimination with pivoting. */
    static double[] solve(double[] a0, double[] b0, int n, int m) {
        double[] a = a0.clone(), b = b0.clone();
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
            if (piv != c) {
                for (int j = 0; j < n; j++) {
                    double t = a[c * n + j];
                    a[c * n + j] = a[piv * n + j];
                    a[piv * n + j] = t;
                }
                for (int j = 0; j < m; j++) {
                    double t = b[c * m + j];
                    b[c * m + j] = b[piv * m + j];
                    b[piv * m + j] = t;
                }
            }
            double d = a[c * n + c];
            for (int r = c + 1; r < n; r++) {
                double f = a[r * n + c] / d;
                if (f == 0) continue;
                for (int j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
                for (int j = 0; j < m; j++) b[r * m + j] -= f * b[c * m + j];
            }
        }
        double[] x = new double[n * m];
        for (int r = n - 1; r >= 0; r--) {
            for (int j = 0; j < m; j++) {
                double s = b[r * m + j];
                for (int c = r + 1; c < n; c++) s -= a[r * n + c] * x[c * m + j];
                x[r * m + j] = s / a[r * n + r];
            }
        }
        return x;
    }

    /** Runs {@code k} experts per token from now on. */
    public MoeficationTopK withTopK(int k) {
        if (k < 1 || k > experts) throw new IllegalArgumentException("k must be in [1, " + experts + "], got " + k);
        this.k = k;
        return this;
    }

    public int experts() {
        return experts;
    }

    @Override
    public void mask(int layer, float[] ffnInput, float[] gateAct, float[] neuronAct, int rows, float[] maskOut) {
        float[] w = routers[layer];
        float[] score = new float[experts];
        boolean[] on = new boolean[experts];
        for (int r = 0; r < rows; r++) {
            for (int e = 0; e < experts; e++) {
                float s = 0;
                for (int i = 0; i < dim; i++) s += w[e * dim + i] * ffnInput[r * dim + i];
                score[e] = s;
            }
            TopK.select(score, k, on);
            for (int e = 0; e < experts; e++) {
                java.util.Arrays.fill(maskOut, r * experts * expertSize + e * expertSize,
                        r * experts * expertSize + (e + 1) * expertSize, on[e] ? 1f : 0f);
            }
        }
    }
}
