package org.lte4j.model.lte;

import java.util.SplittableRandom;
import org.lte4j.model.train.NeuronMasker;

/** Floor baseline: each token runs {@code k} experts chosen uniformly at random (seeded). */
public final class RandomExperts implements NeuronMasker {
    private final int experts, expertSize, k;
    private final SplittableRandom rnd;

    public RandomExperts(int experts, int expertSize, int k, long seed) {
        if (k < 1 || k > experts) throw new IllegalArgumentException("k must be in [1, " + experts + "]");
        this.experts = experts;
        this.expertSize = expertSize;
        this.k = k;
        this.rnd = new SplittableRandom(seed);
    }

    @Override
    public void mask(int layer, float[] ffnInput, float[] gateAct, float[] neuronAct, int rows, float[] maskOut) {
        float[] score = new float[experts];
        boolean[] on = new boolean[experts];
        for (int r = 0; r < rows; r++) {
            for (int e = 0; e < experts; e++) score[e] = (float) rnd.nextDouble();
            TopK.select(score, k, on);
            for (int e = 0; e < experts; e++) {
                java.util.Arrays.fill(maskOut, (r * experts + e) * expertSize, (r * experts + e + 1) * expertSize,
                        on[e] ? 1f : 0f);
            }
        }
    }
}
