package org.lte4j.bench.decode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.lte4j.model.llama.LlamaConfig;

/**
 * LTE routers for a synthetic model, and the threshold that gives a target sparsity.
 *
 * <p>Router rows are uniform in {@code +-sqrt(3 / dim)}. The FFN input is the RMSNorm output with
 * unit norm weights, so its mean square is 1 and every router logit {@code x . row} has variance 1;
 * over many independent rows the logits are close to standard normal. An expert is active when
 * its logit exceeds {@code z_s}, the standard normal quantile of the target sparsity s (threshold
 * {@code sigmoid(z_s)}), so each token and layer activates about {@code 1 - s} of its experts, a
 * subset that depends on the token's hidden state. The router GEMV and the compaction run exactly
 * as for a trained model; the count per token varies around the target (binomially, about
 * +-3 points for 344 experts), and the benchmark reports the sparsity it measured.
 */
public final class SyntheticRouters {
    private SyntheticRouters() {
    }

    /** One {@code [experts, dim]} router per layer, experts = hiddenDim / expertSize. */
    public static List<float[]> create(LlamaConfig c, int expertSize, long seed) {
        int experts = c.hiddenDim() / expertSize;
        float bound = (float) Math.sqrt(3.0 / c.dim());
        List<float[]> out = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            SplittableRandom r = new SplittableRandom(seed * 7919 + l);
            float[] w = new float[experts * c.dim()];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) ((2 * r.nextDouble() - 1) * bound);
            }
            out.add(w);
        }
        return out;
    }

    /** The gate threshold at which a standard normal logit is skipped with probability {@code sparsity}; 0 for 0. */
    public static float threshold(double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), was " + sparsity);
        }
        if (sparsity == 0) {
            return 0f;
        }
        double z = normalQuantile(sparsity);
        return (float) (1 / (1 + Math.exp(-z)));
    }

    /** Phi^-1(p) by bisection on Phi (complementary error function, relative error below 1.2e-7). */
    static double normalQuantile(double p) {
        double lo = -10;
        double hi = 10;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (normalCdf(mid) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    static double normalCdf(double z) {
        return 0.5 * erfc(-z / Math.sqrt(2));
    }

    /** Chebyshev fit of erfc (fractional error below 1.2e-7 everywhere). */
    private static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2 - ans;
    }
}
