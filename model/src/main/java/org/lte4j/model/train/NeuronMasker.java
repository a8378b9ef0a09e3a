package org.lte4j.model.train;

/**
 * Chooses which FFN neurons run for each token (baselines: activation-magnitude thresholds,
 * top-k experts, random experts). Writes 1 (run) or 0 (skip) per neuron.
 */
@FunctionalInterface
public interface NeuronMasker {
    /**
     * @param ffnInput   {@code [rows][dim]} FFN input after RMSNorm
     * @param gateAct    {@code [rows][ffnDim]} silu(gate) of every neuron
     * @param neuronAct  {@code [rows][ffnDim]} silu(gate) * up of every neuron
     * @param maskOut    {@code [rows][ffnDim]} to fill with 0 or 1
     */
    void mask(int layer, float[] ffnInput, float[] gateAct, float[] neuronAct, int rows, float[] maskOut);
}
