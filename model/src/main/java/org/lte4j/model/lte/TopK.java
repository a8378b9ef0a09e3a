package org.lte4j.model.lte;

/** Marks the {@code k} largest scores (ties to the lower index). */
final class TopK {
    private TopK() {
    }

    static void select(float[] score, int k, boolean[] on) {
        java.util.Arrays.fill(on, false);
        for (int t = 0; t < k; t++) {
            int best = -1;
            for (int e = 0; e < score.length; e++) {
                if (!on[e] && (best < 0 || score[e] > score[best])) best = e;
            }
            on[best] = true;
        }
    }
}
