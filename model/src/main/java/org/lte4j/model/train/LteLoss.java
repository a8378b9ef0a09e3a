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

    /**
     * Inside {@code |G - tau| < SEP_BAND} the separability loss continues linearly with the slope
     * it has at the band's edge (C1), instead of growing to infinity at the threshold: a single
     * score near 0.5 otherwise produces gradients of 1e11 and more that swamp every other term.
     */
    public static final double SEP_BAND = 0.05;

    /** {@code 1/(G - tau)^2}, continued linearly inside the band. */
    public static double separation(double g, double tau) {
        double d = Math.abs(g - tau);
        if (d >= SEP_BAND) return 1 / (d * d);
        return 1 / (SEP_BAND * SEP_BAND) + 2 / (SEP_BAND * SEP_BAND * SEP_BAND) * (SEP_BAND - d);
    }

    /** Derivative of {@link #separation} with respect to G. */
    public static double separationSlope(double g, double tau) {
        double diff = g - tau;
        double d = Math.max(Math.abs(diff), SEP_BAND);
        double slope = -2 / (d * d * d);
        return diff >= 0 ? slope : -slope;
    }
}
