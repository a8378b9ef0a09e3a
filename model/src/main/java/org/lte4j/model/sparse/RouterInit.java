package org.lte4j.model.sparse;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Initial routers for a freshly grouped model, before any LTE training (which replaces them).
 *
 * <p>The rule, per layer: expert i's router row points along the mean of its neurons' gate rows
 * (an input along it drives those neurons' gates up, so SiLU lets them through), normalised. The
 * calibration inputs are random: {@code x = ffn_norm * z} with {@code z ~ N(0, I)}, the shape of
 * an RMSNorm output of a random residual. Their logits are symmetric around 0, so the median gate
 * is 0.5 and about half the experts pass. All rows of a layer are then scaled by one factor so
 * that the median |logit| over inputs and experts is {@link #MEDIAN_ABS_LOGIT} (gates of typical
 * inputs sit near 0.88 or 0.12, away from the threshold).
 *
 * <p>Random rather than real activations (a dense forward pass) because the forward pass is not
 * bit-reproducible on the JVM (vector reductions and {@code Math.exp} differ between interpreted
 * and compiled code), and moefy must be deterministic for a seed; everything here is scalar double
 * arithmetic on a seeded generator, with {@code StrictMath}.
 */
public final class RouterInit {
    /** Target median |x . row| over calibration inputs: sigmoid(2) = 0.88. */
    public static final double MEDIAN_ABS_LOGIT = 2.0;
    /** Random calibration inputs per layer. */
    public static final int SAMPLES = 64;

    /** A layer's initial router and the fraction of (input, expert) pairs it turns on. */
    public record Layer(float[] weights, double activeFraction) {
    }

    private RouterInit() {
    }

    /**
     * @param gate    the layer's gate projection, neurons already permuted, {@code [experts*size][dim]}
     * @param ffnNorm the layer's FFN RMSNorm weight
     */
    public static Layer of(float[] gate, int experts, int size, float[] ffnNorm, long seed, float threshold) {
        int dim = ffnNorm.length;
        double[] w = new double[experts * dim];
        for (int e = 0; e < experts; e++) {
            int o = e * dim;
            for (int j = 0; j < size; j++) {
                int g = (e * size + j) * dim;
                for (int i = 0; i < dim; i++) {
                    w[o + i] += gate[g + i];
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
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[dim];
        double[] logits = new double[SAMPLES * experts];
        for (int t = 0; t < SAMPLES; t++) {
            for (int i = 0; i < dim; i++) {
                x[i] = ffnNorm[i] * gaussian(rnd);
            }
            for (int e = 0; e < experts; e++) {
                double z = 0;
                for (int i = 0; i < dim; i++) {
                    z += w[e * dim + i] * x[i];
                }
                logits[t * experts + e] = z;
            }
        }
        double[] abs = Arrays.stream(logits).map(Math::abs).sorted().toArray();
        double median = abs[abs.length / 2];
        double scale = median > 0 ? MEDIAN_ABS_LOGIT / median : 1;
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = (float) (w[i] * scale);
        }
        double cut = StrictMath.log(threshold / (1.0 - threshold)); // G > threshold  <=>  logit > cut
        long on = Arrays.stream(logits).filter(z -> z * scale > cut).count();
        return new Layer(out, (double) on / logits.length);
    }

    /** Box-Muller on the generator's doubles, with StrictMath so every JVM gives the same values. */
    private static double gaussian(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble(); // (0, 1]
        double v = rnd.nextDouble();
        return StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v);
    }
}
