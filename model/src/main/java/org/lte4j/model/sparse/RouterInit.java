package org.lte4j.model.sparse;

import java.util.Arrays;

/**
 * Initial routers for a freshly grouped model, before any LTE training.
 *
 * <p>The rule, per layer: expert i's direction is the mean of its neurons' gate rows (an input
 * along it drives those neurons' gates up, so SiLU lets them through), minus its component along
 * the mean calibration input, normalised. Removing that component makes the logit of the average
 * input zero: the router has no bias, and this is what centres the logits so that the median
 * gate over the calibration inputs is about 0.5, i.e. about half the experts pass. All rows of a
 * layer are then scaled by one factor so that the median |logit| over calibration inputs and
 * experts is {@link #MEDIAN_ABS_LOGIT} (gates of typical inputs sit near 0.88 or 0.12, away from
 * the threshold, so routing is not decided by rounding).
 */
public final class RouterInit {
    /** Target median |x . row| over calibration inputs: sigmoid(2) = 0.88. */
    public static final double MEDIAN_ABS_LOGIT = 2.0;

    /** A layer's initial router and the fraction of (input, expert) pairs it turns on. */
    public record Layer(float[] weights, double activeFraction) {
    }

    private RouterInit() {
    }

    /**
     * @param gate   the layer's gate projection, neurons already permuted, {@code [experts*size][dim]}
     * @param inputs calibration FFN inputs {@code [n][dim]}
     */
    public static Layer of(float[] gate, int experts, int size, int dim, float[] inputs, float threshold) {
        int n = inputs.length / dim;
        double[] mean = new double[dim];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < dim; i++) {
                mean[i] += inputs[t * dim + i];
            }
        }
        double meanNorm = 0;
        for (int i = 0; i < dim; i++) {
            mean[i] /= Math.max(1, n);
            meanNorm += mean[i] * mean[i];
        }
        meanNorm = Math.sqrt(meanNorm);
        double[] w = new double[experts * dim];
        for (int e = 0; e < experts; e++) {
            int o = e * dim;
            for (int j = 0; j < size; j++) {
                int g = (e * size + j) * dim;
                for (int i = 0; i < dim; i++) {
                    w[o + i] += gate[g + i];
                }
            }
            if (meanNorm > 0) {
                double along = 0;
                for (int i = 0; i < dim; i++) {
                    along += w[o + i] * mean[i] / meanNorm;
                }
                for (int i = 0; i < dim; i++) {
                    w[o + i] -= along * mean[i] / meanNorm;
                }
            }
            double norm = 0;
            for (int i = 0; i < dim; i++) {
                norm += w[o + i] * w[o + i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < dim; i++) {
                w[o + i] = norm > 0 ? w[o + i] / norm : 0;
            }
        }
        double[] logits = new double[n * experts];
        for (int t = 0; t < n; t++) {
            for (int e = 0; e < experts; e++) {
                double z = 0;
                for (int i = 0; i < dim; i++) {
                    z += w[e * dim + i] * inputs[t * dim + i];
                }
                logits[t * experts + e] = z;
            }
        }
        double[] abs = Arrays.stream(logits).map(Math::abs).sorted().toArray();
        double median = abs.length == 0 ? 0 : abs[abs.length / 2];
        double scale = median > 0 ? MEDIAN_ABS_LOGIT / median : 1;
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = (float) (w[i] * scale);
        }
        ExpertRouter router = new ExpertRouter(out, experts, dim);
        long on = 0;
        int[] active = new int[experts];
        float[] x = new float[dim];
        for (int t = 0; t < n; t++) {
            System.arraycopy(inputs, t * dim, x, 0, dim);
            on += router.route(x, threshold, active);
        }
        return new Layer(out, n == 0 ? Double.NaN : (double) on / ((long) n * experts));
    }
}
