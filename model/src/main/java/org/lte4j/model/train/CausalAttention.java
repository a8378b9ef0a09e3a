package org.lte4j.model.train;

import org.lte4j.model.tensor.FloatVectors;

/**
 * Causal multi-head attention with grouped-query heads on rows laid out as {@code [batch][seq]}.
 * Query head h reads key/value head {@code h / (heads / kvHeads)}. Forward keeps the softmax
 * probabilities {@code P[b][h][t][s]} for the backward pass. Work is split by (batch, kv head),
 * so key/value gradients, shared by the query heads of a group, have a single writer.
 */
public final class CausalAttention {
    private CausalAttention() {
    }

    public static void forward(Parallel par, float[] q, float[] k, float[] v, float[] out, float[] probs,
                               int batch, int seq, int heads, int kvHeads, int headDim) {
        int group = heads / kvHeads;
        int qw = heads * headDim, kw = kvHeads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        par.forRange(batch * kvHeads, (j0, j1) -> {
            float[] row = new float[seq];
            for (int j = j0; j < j1; j++) {
                int b = j / kvHeads, kh = j % kvHeads;
                for (int h = kh * group; h < (kh + 1) * group; h++) {
                    for (int t = 0; t < seq; t++) {
                        int qo = (b * seq + t) * qw + h * headDim;
                        float max = Float.NEGATIVE_INFINITY;
                        for (int s = 0; s <= t; s++) {
                            float d = FloatVectors.dot(q, qo, k, (b * seq + s) * kw + kh * headDim, headDim) * scale;
                            row[s] = d;
                            if (d > max) max = d;
                        }
                        float sum = 0f;
                        for (int s = 0; s <= t; s++) {
                            row[s] = (float) Math.exp(row[s] - max);
                            sum += row[s];
                        }
                        float invSum = 1f / sum;
                        int po = ((b * heads + h) * seq + t) * seq;
                        int oo = (b * seq + t) * qw + h * headDim;
                        java.util.Arrays.fill(out, oo, oo + headDim, 0f);
                        for (int s = 0; s <= t; s++) {
                            float p = row[s] * invSum;
                            probs[po + s] = p;
                            FloatVectors.axpy(p, v, (b * seq + s) * kw + kh * headDim, out, oo, headDim);
                        }
                    }
                }
            }
        });
    }

    /** Writes dq (overwritten) and dk, dv (overwritten). */
    public static void backward(Parallel par, float[] q, float[] k, float[] v, float[] probs, float[] dOut,
                                float[] dq, float[] dk, float[] dv, int batch, int seq, int heads, int kvHeads,
                                int headDim) {
        int group = heads / kvHeads;
        int qw = heads * headDim, kw = kvHeads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        par.forRange(batch * kvHeads, (j0, j1) -> {
            float[] dp = new float[seq];
            for (int j = j0; j < j1; j++) {
                int b = j / kvHeads, kh = j % kvHeads;
                for (int s = 0; s < seq; s++) {
                    int ko = (b * seq + s) * kw + kh * headDim;
                    java.util.Arrays.fill(dk, ko, ko + headDim, 0f);
                    java.util.Arrays.fill(dv, ko, ko + headDim, 0f);
                }
                for (int h = kh * group; h < (kh + 1) * group; h++) {
                    for (int t = 0; t < seq; t++) {
                        int qo = (b * seq + t) * qw + h * headDim;
                        int po = ((b * heads + h) * seq + t) * seq;
                        float dot = 0f;
                        for (int s = 0; s <= t; s++) {
                            int vo = (b * seq + s) * kw + kh * headDim;
                            dp[s] = FloatVectors.dot(dOut, qo, v, vo, headDim);
                            dot += dp[s] * probs[po + s];
                            FloatVectors.axpy(probs[po + s], dOut, qo, dv, vo, headDim);
                        }
                        java.util.Arrays.fill(dq, qo, qo + headDim, 0f);
                        for (int s = 0; s <= t; s++) {
                            float ds = probs[po + s] * (dp[s] - dot) * scale;
                            if (ds == 0f) continue;
                            int ko = (b * seq + s) * kw + kh * headDim;
                            FloatVectors.axpy(ds, k, ko, dq, qo, headDim);
                            FloatVectors.axpy(ds, q, qo, dk, ko, headDim);
                        }
                    }
                }
            }
        });
    }
}
