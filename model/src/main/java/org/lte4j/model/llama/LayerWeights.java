package org.lte4j.model.llama;

import org.lte4j.model.tensor.Tensor;

/**
 * One decoder layer's weights. Matrices are {@code [out, in]} (row r is output r). q and k rows
 * are in interleaved-pair RoPE order (GGML's convention: pair i is elements 2i and 2i+1 of a
 * head); loaders convert Hugging Face's rotate-half order. Biases are null when absent.
 *
 * @param wGate FFN gate projection W1 {@code [hiddenDim, dim]}
 * @param wUp   FFN up projection W3 {@code [hiddenDim, dim]}
 * @param wDown FFN down projection W2 {@code [dim, hiddenDim]}
 */
public record LayerWeights(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                           float[] bq, float[] bk, float[] bv,
                           float[] ffnNorm, Tensor wGate, Tensor wUp, Tensor wDown) {
}
