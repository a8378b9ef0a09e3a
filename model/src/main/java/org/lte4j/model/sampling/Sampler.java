package org.lte4j.model.sampling;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (temperature 0), or a draw from
 * {@code softmax(logits / temperature)}, optionally restricted to the smallest set of most
 * likely tokens whose probability reaches {@code topP} (nucleus sampling). Seeded: the same
 * seed and logits give the same tokens.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    /**
     * @param temperature 0 for greedy, otherwise > 0
     * @param topP        in (0, 1]; 1 disables nucleus filtering
     */
    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], was " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 1, 0);
    }

    public int sample(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        double[] p = softmax(logits, temperature);
        double u = random.nextDouble();
        return topP < 1 ? sampleTopP(p, u) : sampleAll(p, u);
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static double[] softmax(float[] logits, float temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static int sampleAll(double[] p, double u) {
        double cdf = 0;
        for (int i = 0; i < p.length; i++) {
            cdf += p[i];
            if (u < cdf) {
                return i;
            }
        }
        return p.length - 1; // rounding left u above the last cdf
    }

    /** Nucleus sampling: the most likely tokens up to cumulative probability topP, renormalised. */
    private int sampleTopP(double[] p, double u) {
        int n = p.length;
        // a token below (1 - topP) / (n - 1) can never be inside the nucleus, so only the rest is sorted
        double floor = n > 1 ? (1 - topP) / (n - 1) : 0;
        int[] candidates = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] >= floor) {
                candidates[count++] = i;
            }
        }
        int[] sorted = java.util.Arrays.stream(candidates, 0, count).boxed()
                .sorted((a, b) -> Double.compare(p[b], p[a])).mapToInt(Integer::intValue).toArray();
        double mass = 0;
        int last = sorted.length - 1;
        for (int i = 0; i < sorted.length; i++) {
            mass += p[sorted[i]];
            if (mass >= topP) {
                last = i;
                break;
            }
        }
        double r = u * mass;
        double cdf = 0;
        for (int i = 0; i <= last; i++) {
            cdf += p[sorted[i]];
            if (r < cdf) {
                return sorted[i];
            }
        }
        return sorted[last];
    }
}
