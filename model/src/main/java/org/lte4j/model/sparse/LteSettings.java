package org.lte4j.model.sparse;

/**
 * The LTE parameters of a model file: experts are {@code expertSize} contiguous FFN neurons
 * (the neuron permutation is already applied), and an expert runs for a token when its router
 * gate {@code G = sigmoid(x . router_row)} is above {@code threshold}.
 */
public record LteSettings(int expertSize, float threshold) {
    /** The paper's threshold, tau = 0.5. */
    public static final float DEFAULT_THRESHOLD = 0.5f;
    /** The paper's expert size. */
    public static final int DEFAULT_EXPERT_SIZE = 32;

    public LteSettings {
        if (expertSize <= 0) {
            throw new IllegalArgumentException("expert size must be positive, was " + expertSize);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in [0, 1), was " + threshold);
        }
    }

    /** Experts in a layer of {@code hiddenDim} neurons; a clear error when it does not divide. */
    public int experts(int hiddenDim) {
        if (hiddenDim % expertSize != 0) {
            throw new IllegalArgumentException("FFN width " + hiddenDim + " is not a multiple of the expert size "
                    + expertSize);
        }
        return hiddenDim / expertSize;
    }
}
