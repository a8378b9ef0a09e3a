package org.lte4j.model.llama;

/**
 * Scratch buffers for one batch of prompt tokens in {@link LlamaModel#prefill}, each holding the
 * batch's vectors one after another (token-major: token t's vector starts at {@code t * length}).
 */
final class PrefillBatch {
    final float[] x;      // residual streams [batch * dim]
    final float[] xb;     // normed inputs [batch * dim]
    final float[] q;      // [batch * qDim]
    final float[] k;      // [batch * kvDim]
    final float[] v;      // [batch * kvDim]
    final float[] attOut; // [batch * qDim]
    final float[] proj;   // [batch * dim]
    final float[] gate;   // [batch * hiddenDim], then silu(gate) * up
    final float[] up;     // [batch * hiddenDim]
    final float[] ffnOut; // [batch * dim]

    PrefillBatch(LlamaConfig c, int batch) {
        x = new float[batch * c.dim()];
        xb = new float[batch * c.dim()];
        q = new float[batch * c.qDim()];
        k = new float[batch * c.kvDim()];
        v = new float[batch * c.kvDim()];
        attOut = new float[batch * c.qDim()];
        proj = new float[batch * c.dim()];
        gate = new float[batch * c.hiddenDim()];
        up = new float[batch * c.hiddenDim()];
        ffnOut = new float[batch * c.dim()];
    }
}
