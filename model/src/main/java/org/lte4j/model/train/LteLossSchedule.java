package org.lte4j.model.train;

/**
 * The LTE stage-1 regulariser weights step by step: a constant {@link LteLoss}, or one whose
 * separability weight is off at first and then ramps up, and whose efficiency weight eta may be
 * steered towards a target sparsity.
 *
 * <p>Why the ramp: {@code L_sep} pushes every router score away from the threshold, so from the
 * first step it holds each expert on the side where it started (QUALITY.md). Without it the
 * routers can first move experts across the threshold, and the ramp then separates the scores
 * before hard gating replaces them.
 *
 * <p>Why the target: with a fixed eta the measured sparsity was a step function of eta on short
 * runs (0.06 at eta 100, 0.74 at 300). Steering {@code log eta} by the error between the target
 * and the batch's hard-gating sparsity (an integral controller) lands near the asked sparsity in
 * one run. Not thread-safe; one instance per run.
 */
public final class LteLossSchedule {
    /** Change of log(eta) per step per unit of sparsity error. */
    static final double GAIN = 0.1;
    static final double MIN_ETA = 1e-2, MAX_ETA = 1e5;

    private final double target;
    private final double lambda, tau;
    private final long sepFrom, sepFull;
    private double eta;

    private LteLossSchedule(double target, double eta, double lambda, double tau, long sepFrom, long sepFull) {
        if (!(eta >= 0)) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        if (!(lambda >= 0)) throw new IllegalArgumentException("lambda must be >= 0, got " + lambda);
        if (sepFrom < 0 || sepFull < sepFrom) throw new IllegalArgumentException("need 0 <= sepFrom <= sepFull");
        this.target = target;
        this.lambda = lambda;
        this.tau = tau;
        this.sepFrom = sepFrom;
        this.sepFull = sepFull;
        this.eta = eta; // kept as given (not as exp(log eta)), so a constant schedule is the paper's loss exactly
    }

    /** The same loss at every step (the paper's stage 1). */
    public static LteLossSchedule constant(LteLoss loss) {
        return new LteLossSchedule(Double.NaN, loss.eta(), loss.lambda(), loss.tau(), 0, 0);
    }

    /**
     * Fixed eta; the paper's lambda (0.5) is 0 before step {@code sepFrom} and reached linearly
     * at {@code sepFull}.
     */
    public static LteLossSchedule rampedSeparation(double eta, long sepFrom, long sepFull) {
        return new LteLossSchedule(Double.NaN, eta, 0.5, 0.5, sepFrom, sepFull);
    }

    /**
     * As {@link #rampedSeparation}, with eta starting at {@code initialEta} and steered after
     * every step towards hard-gating sparsity {@code target} (in (0, 1)).
     */
    public static LteLossSchedule targeting(double target, double initialEta, long sepFrom, long sepFull) {
        if (!(target > 0 && target < 1)) throw new IllegalArgumentException("target sparsity must be in (0, 1), got " + target);
        if (!(initialEta > 0)) throw new IllegalArgumentException("initial eta must be > 0, got " + initialEta);
        return new LteLossSchedule(target, initialEta, 0.5, 0.5, sepFrom, sepFull);
    }

    /** The loss to optimise at 0-based step {@code step}. */
    public LteLoss at(long step) {
        double l;
        if (step >= sepFull) l = lambda;
        else if (step < sepFrom) l = 0;
        else l = lambda * (step - sepFrom) / (double) (sepFull - sepFrom);
        return new LteLoss(eta(), l, tau);
    }

    /** Feeds back what the step measured; moves eta when a target is set. */
    public void observe(StepResult r) {
        if (Double.isNaN(target)) return;
        eta = Math.clamp(eta * Math.exp(GAIN * (target - r.sparsity())), MIN_ETA, MAX_ETA);
    }

    public double eta() {
        return eta;
    }
}
