package org.lte4j.model.train;

/**
 * Mean softmax cross-entropy over rows of logits. The gradient is written in place of the
 * logits (scaled by {@code 1/n}) when requested. Targets below zero are ignored.
 */
public final class CrossEntropy {
    private CrossEntropy() {
    }

    /** Returns the per-row negative log-likelihoods summed in row order; counts valid rows. */
    public static double forward(Parallel par, float[] logits, int[] targets, int n, int vocab, float[] rowLoss) {
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (targets[r] < 0) {
                    rowLoss[r] = 0f;
                    continue;
                }
                int o = r * vocab;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
                double sum = 0;
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits[o + i] - max);
                rowLoss[r] = (float) (Math.log(sum) + max - logits[o + targets[r]]);
            }
        });
        double total = 0;
        for (int r = 0; r < n; r++) total += rowLoss[r];
        return total;
    }

    /** Replaces logits by {@code scale * (softmax - onehot)}. */
    public static void backwardInPlace(Parallel par, float[] logits, int[] targets, int n, int vocab, float scale) {
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * vocab;
                if (targets[r] < 0) {
                    java.util.Arrays.fill(logits, o, o + vocab, 0f);
                    continue;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
                float sum = 0f;
                for (int i = 0; i < vocab; i++) {
                    float e = (float) Math.exp(logits[o + i] - max);
                    logits[o + i] = e;
                    sum += e;
                }
                float inv = scale / sum;
                for (int i = 0; i < vocab; i++) logits[o + i] *= inv;
                logits[o + targets[r]] -= scale;
            }
        });
    }
}
