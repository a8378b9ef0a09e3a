package org.lte4j.model.llama;

/**
 * Hyper-parameters of a Llama-family decoder (Llama 2/3, Mistral, Qwen2).
 *
 * @param architecture   "llama", "mistral", "qwen2", ... (informational)
 * @param dim            model width (hidden_size, embedding_length)
 * @param hiddenDim      FFN width (intermediate_size, feed_forward_length)
 * @param headDim        per-head width; usually dim / nHeads but may differ
 * @param contextLength  the longest context the model was trained for
 * @param ropeScaling    Llama-3 frequency scaling, or null
 * @param tiedEmbeddings whether the output projection is the token embedding
 * @param qkvBias        whether q/k/v projections have biases (Qwen2)
 */
public record LlamaConfig(String architecture, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                          int headDim, int vocabSize, int contextLength, float rmsEps, double ropeTheta,
                          RopeScaling ropeScaling, boolean tiedEmbeddings, boolean qkvBias) {

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("non-positive size in " + this);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(nHeads + " query heads are not a multiple of " + nKvHeads + " kv heads");
        }
        try {
            Math.multiplyExact(Math.max(nHeads, nKvHeads), headDim);
            Math.multiplyExact(nLayers, Math.max(dim, hiddenDim));
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException("sizes overflow: " + nHeads + " heads of " + headDim + ", "
                    + nLayers + " layers of " + dim + "/" + hiddenDim);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head dimension " + headDim + " is odd; RoPE rotates pairs");
        }
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    /** Query heads sharing one kv head (1 = MHA, nHeads = MQA). */
    public int groupSize() {
        return nHeads / nKvHeads;
    }

    /**
     * Inverse RoPE frequencies {@code theta^(-2i/headDim)} for the {@code headDim/2} pairs, with
     * Llama-3 scaling applied when configured. Rounded to float as PyTorch keeps them.
     */
    public float[] ropeInverseFrequencies() {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(ropeTheta, (2.0 * i) / headDim));
        }
        return ropeScaling == null ? f : ropeScaling.apply(f);
    }
}
