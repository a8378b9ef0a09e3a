package org.lte4j.model.train;

/**
 * Weights of the LTE stage-1 regularisers: {@code L = L_task + eta * L_eff + lambda * L_sep}
 * with {@code L_eff = mean G^2} and {@code L_sep = mean 1/(G - tau)^2} over layers, experts and
 * tokens.
 */
public record LteLoss(double eta, double lambda, double tau) {
    public static final LteLoss NONE = new LteLoss(0, 0, 0.5);

    public LteLoss {
        if (eta < 0) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        if (lambda < 0) throw new IllegalArgumentException("lambda must be >= 0, got " + lambda);
    }

    public static LteLoss paper(double eta) {
        return new LteLoss(eta, 0.5, 0.5);
    }
}
