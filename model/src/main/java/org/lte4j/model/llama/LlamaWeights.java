package org.lte4j.model.llama;

import java.util.List;
import org.lte4j.model.tensor.Tensor;

/**
 * All weights of a model.
 *
 * @param tokenEmbedding {@code [vocab, dim]}
 * @param output         {@code [vocab, dim]}; the same tensor as tokenEmbedding when tied
 * @param ropeInvFreq    inverse RoPE frequencies per pair, scaling already applied
 */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, float[] outputNorm, Tensor output,
                           float[] ropeInvFreq) {
}
