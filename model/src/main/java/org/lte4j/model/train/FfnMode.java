package org.lte4j.model.train;

/** How the FFN combines its experts. */
public enum FfnMode {
    /** Every neuron runs; routers (if any) are ignored. */
    DENSE,
    /** LTE stage 1: each expert's output is scaled by its router score G. */
    SOFT,
    /** LTE stage 2 and inference: an expert runs, unscaled, when G > threshold. */
    HARD
}
