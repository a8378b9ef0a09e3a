package org.lte4j.model.train;

/**
 * Shape of a Llama-family decoder as lte4j trains it. Field names follow the GGUF
 * {@code llama.*} metadata keys they are written to.
 */
public record LlamaConfig(int vocabSize, int dim, int layers, int heads, int kvHeads, int ffnDim,
                          int contextLength, float ropeTheta, float normEps, boolean tiedEmbeddings) {

    public LlamaConfig {
        require(vocabSize > 0, "vocabSize must be > 0, got " + vocabSize);
        require(dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && ffnDim > 0 && contextLength > 0,
                "all sizes must be > 0");
        require(dim % heads == 0, "dim " + dim + " is not a multiple of heads " + heads);
        require(heads % kvHeads == 0, "heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        require((dim / heads) % 2 == 0, "head dimension " + dim / heads + " must be even for RoPE");
        require(ropeTheta > 0 && normEps > 0, "ropeTheta and normEps must be > 0");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public int headDim() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    public LlamaConfig withVocabSize(int vocab) {
        return new LlamaConfig(vocab, dim, layers, heads, kvHeads, ffnDim, contextLength, ropeTheta, normEps,
                tiedEmbeddings);
    }

    /** Number of trainable scalars of the dense model. */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * dim * kvDim() + 3L * dim * ffnDim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + perLayer * layers;
    }
}
