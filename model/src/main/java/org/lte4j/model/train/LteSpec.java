package org.lte4j.model.train;

/**
 * The LTE expert layout of a model: FFN neurons grouped into contiguous experts of
 * {@code expertSize}, an expert being active when its router score {@code G > threshold}.
 */
public record LteSpec(int expertSize, float threshold) {
    public static final LteSpec DEFAULT = new LteSpec(32, 0.5f);

    public LteSpec {
        if (expertSize <= 0) throw new IllegalArgumentException("expert size must be > 0, got " + expertSize);
        if (!(threshold > 0f && threshold < 1f)) {
            throw new IllegalArgumentException("threshold must be in (0, 1), got " + threshold);
        }
    }

    public int experts(int ffnDim) {
        if (ffnDim % expertSize != 0) {
            throw new IllegalArgumentException("FFN size " + ffnDim + " is not a multiple of expert size " + expertSize);
        }
        return ffnDim / expertSize;
    }
}
