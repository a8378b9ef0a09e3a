package org.lte4j.model.lte;

import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.Parallel;

/**
 * The per-layer router objective of calibration, with its gradient: soft gating
 * {@code y_s = sum_e G_e y_e} against the dense output {@code y = sum_e y_e}, where
 * {@code y_e} is expert e's contribution through the down projection.
 */
final class RouterCalibration {
    /** Loss parts of one layer: relative reconstruction error (soft), sum of G^2, sum of 1/(G-tau)^2, hard-gating error, skipped experts. */
    record LayerLoss(double rec, double effSum, double sepSum, double hardError, long skipped, long total) {
    }

    private RouterCalibration() {
    }

    /**
     * Adds the gradient of {@code mu * rec + (eta * effSum + lambda * sepSum) / count} to
     * {@code routerGrad} and returns the loss parts.
     */
    static LayerLoss layer(Parallel par, LlamaWeights w, int layer, float[] f, float[] h, int rows, double eta,
                           double lambda, double mu, double tau, double count, float[] routerGrad) {
        int dim = w.config().dim(), ffn = w.config().ffnDim(), es = w.lte().expertSize(), E = ffn / es;
        float threshold = w.lte().threshold();
        float[] down = w.layer(layer, "ffn_down.weight").data();
        float[] router = w.get(LlamaWeights.routerName(layer)).data();
        double[] rowDense = new double[rows], rowRec = new double[rows], rowHard = new double[rows];
        double[] rowEff = new double[rows], rowSep = new double[rows];
        long[] rowSkipped = new long[rows];
        float[] dr = new float[rows * E];
        float[] gates = new float[rows * E];
        // pass 1: per-row quantities that do not need the normaliser
        par.forRange(rows, (r0, r1) -> {
            float[] ye = new float[E * dim];
            float[] y = new float[dim], ys = new float[dim], yh = new float[dim];
            for (int r = r0; r < r1; r++) {
                java.util.Arrays.fill(y, 0f);
                java.util.Arrays.fill(ys, 0f);
                java.util.Arrays.fill(yh, 0f);
                for (int e = 0; e < E; e++) {
                    double logit = 0;
                    for (int i = 0; i < dim; i++) logit += router[e * dim + i] * f[r * dim + i];
                    float g = (float) (1 / (1 + Math.exp(-logit)));
                    gates[r * E + e] = g;
                    for (int i = 0; i < dim; i++) {
                        float s = 0f;
                        int o = i * ffn + e * es;
                        for (int j = 0; j < es; j++) s += down[o + j] * h[r * ffn + e * es + j];
                        ye[e * dim + i] = s;
                        y[i] += s;
                        ys[i] += g * s;
                        if (g > threshold) yh[i] += s;
                    }
                    rowEff[r] += (double) g * g;
                    rowSep[r] += org.lte4j.model.train.LteLoss.separation(g, tau);
                    if (!(g > threshold)) rowSkipped[r]++;
                }
                double dense = 0, rec = 0, hard = 0;
                for (int i = 0; i < dim; i++) {
                    dense += (double) y[i] * y[i];
                    rec += (double) (ys[i] - y[i]) * (ys[i] - y[i]);
                    hard += (double) (yh[i] - y[i]) * (yh[i] - y[i]);
                }
                rowDense[r] = dense;
                rowRec[r] = rec;
                rowHard[r] = hard;
                // dRec/dG_e before normalisation: 2 (ys - y) . y_e ; stash in dr
                for (int e = 0; e < E; e++) {
                    double s = 0;
                    for (int i = 0; i < dim; i++) s += (ys[i] - y[i]) * ye[e * dim + i];
                    dr[r * E + e] = (float) (2 * s);
                }
            }
        });
        double dense = 0, rec = 0, hard = 0, eff = 0, sep = 0;
        long skipped = 0;
        for (int r = 0; r < rows; r++) {
            dense += rowDense[r];
            rec += rowRec[r];
            hard += rowHard[r];
            eff += rowEff[r];
            sep += rowSep[r];
            skipped += rowSkipped[r];
        }
        double norm = Math.max(dense, 1e-30);
        for (int i = 0; i < rows * E; i++) {
            double g = gates[i];
            double dG = mu * dr[i] / norm
                    + (eta * 2 * g + lambda * org.lte4j.model.train.LteLoss.separationSlope(g, tau)) / count;
            dr[i] = (float) (dG * g * (1 - g));
        }
        org.lte4j.model.train.Linear.backwardWeight(par, dr, f, routerGrad, rows, dim, E);
        return new LayerLoss(rec / norm, eff, sep, hard / norm, skipped, (long) rows * E);
    }
}
