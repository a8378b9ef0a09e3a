package org.lte4j.model.device;

import java.util.Optional;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * The feed-forward block of every layer as device tasks. {@link DenseFeedForward} is the
 * SwiGLU FFN; the LTE sparse FFN (router, active-expert compaction, expert GEMVs) is meant to be
 * another implementation, chosen when the {@link DeviceLlama} is created.
 */
public interface DeviceFeedForward extends AutoCloseable {

    /**
     * Appends to {@code graph} the tasks (and first-execution weight uploads) that compute
     * {@code out = FFN_layer(in)}; {@code in} is the normed residual stream, {@code out} has the
     * model width.
     */
    void append(TaskGraph graph, int layer, FloatArray in, FloatArray out);

    /**
     * Appends tasks that compute {@code acc += FFN_layer(in)} where the block can fold the
     * residual add into its last kernel, and returns true; returns false (appending nothing) where
     * it cannot, and the decoder then calls {@link #append} into a scratch vector and adds that.
     */
    default boolean appendAddingInto(TaskGraph graph, int layer, FloatArray in, FloatArray acc) {
        return false;
    }

    /**
     * Appends tasks that compute {@code residual += FFN_layer(RMSNorm(residual) * normWeight)}
     * with the norm folded into the block's first kernel, and returns true; returns false
     * (appending nothing) where the block cannot, and the decoder then norms into a vector
     * itself and calls {@link #appendAddingInto} or {@link #append}.
     */
    default boolean appendNormingAndAddingInto(TaskGraph graph, int layer, FloatArray residual, FloatArray normWeight, float eps) {
        return false;
    }

    /**
     * For a block that chooses experts per token, what a batched prompt needs to choose them as the
     * decode does; empty for the dense FFN.
     */
    default Optional<DevicePrefill.ExpertRouting> expertRouting() {
        return Optional.empty();
    }

    /** Weight bytes one token reads in layer {@code layer} (for a sparse FFN: at full density). */
    long weightBytes(int layer);

    /** Frees the block's own activations (weights belong to {@link DeviceWeights}). */
    @Override
    void close();
}
