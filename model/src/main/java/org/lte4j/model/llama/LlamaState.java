package org.lte4j.model.llama;

/**
 * One sequence's mutable state: the KV cache and scratch buffers. A model can serve several
 * states (sequences) one call at a time each.
 */
public final class LlamaState {
    final int maxContext;
    final float[] x;      // residual stream [dim]
    final float[] xb;     // normed input [dim]
    final float[] q;      // [qDim]
    final float[] k;      // [kvDim]
    final float[] v;      // [kvDim]
    final float[] attOut; // [qDim]
    final float[] proj;   // [dim]
    final float[] cos;    // [headDim/2] for the current position
    final float[] sin;
    final float[] logits; // [vocab]
    final float[][] keyCache;   // [layer][pos * kvDim + i]
    final float[][] valueCache;
    int length; // tokens in the cache

    LlamaState(LlamaConfig c, int maxContext) {
        this.maxContext = maxContext;
        x = new float[c.dim()];
        xb = new float[c.dim()];
        q = new float[c.qDim()];
        k = new float[c.kvDim()];
        v = new float[c.kvDim()];
        attOut = new float[c.qDim()];
        proj = new float[c.dim()];
        cos = new float[c.headDim() / 2];
        sin = new float[c.headDim() / 2];
        logits = new float[c.vocabSize()];
        keyCache = new float[c.nLayers()][(int) Math.min(Integer.MAX_VALUE - 8, (long) maxContext * c.kvDim())];
        valueCache = new float[c.nLayers()][keyCache[0].length];
    }

    /** Tokens processed so far (the next position). */
    public int length() {
        return length;
    }

    public int maxContext() {
        return maxContext;
    }

    /** Forgets the sequence (the cache is overwritten from position 0). */
    public void reset() {
        length = 0;
    }
}
