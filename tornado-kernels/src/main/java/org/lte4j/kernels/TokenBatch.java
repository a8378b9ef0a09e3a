package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * The per-token steps of a decoder layer applied to a batch of consecutive prompt tokens (the
 * kernels of {@link Embedding}, {@link Normalization} and {@link Rope}, once per token).
 * Activations are token-major: token b's vector of n floats is {@code v[b * n .. b * n + n)}.
 *
 * <p>The batch is described on the device by {@code span}, two ints uploaded every execution so
 * one captured plan serves every batch: {@code span[0]} is the position of the batch's first
 * token and {@code span[1]} the number of valid tokens (1..batch; the last batch of a prompt
 * may be partial). Tokens at or past {@code span[1]} are skipped. {@code batch} is the capacity
 * the arrays are sized for.
 */
public final class TokenBatch {
    private TokenBatch() {
    }

    /** {@code out[b] = table row tokens[b]} from an fp32 table. Grid: any 1-D (the loop covers batch * dim). */
    public static void copyRowsF32(FloatArray table, IntArray tokens, IntArray span, FloatArray out, int dim, int batch) {
        int count = span.get(1);
        for (@Parallel int p = 0; p < batch * dim; p++) {
            int b = p / dim;
            if (b < count) {
                out.set(p, table.get((long) tokens.get(b) * dim + p - b * dim));
            }
        }
    }

    /** {@code out[b] = table row tokens[b]} from an fp16 table. Grid: any 1-D. */
    public static void copyRowsF16(HalfArray table, IntArray tokens, IntArray span, FloatArray out, int dim, int batch) {
        int count = span.get(1);
        for (@Parallel int p = 0; p < batch * dim; p++) {
            int b = p / dim;
            if (b < count) {
                out.set(p, table.get((long) tokens.get(b) * dim + p - b * dim));
            }
        }
    }

    /** {@code out[b] = table row tokens[b]} dequantised from GGML Q8_0 blocks (dim a multiple of 32). Grid: any 1-D. */
    public static void copyRowsQ8_0(ByteArray table, IntArray tokens, IntArray span, FloatArray out, int dim, int batch) {
        int count = span.get(1);
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (@Parallel int p = 0; p < batch * dim; p++) {
            int b = p / dim;
            if (b < count) {
                int i = p - b * dim;
                long block = tokens.get(b) * rowBytes + (long) (i / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
                out.set(p, table.getHalf(block) * table.get(block + 2 + i % MatVec.Q8_0_BLOCK));
            }
        }
    }

    /**
     * {@link Normalization#rmsNorm} of every valid token: one work-group per token (fewer groups
     * loop over tokens); {@code out} may be {@code x}.
     * Grid: {@code WorkerGrid.of(batch * L, L)}, L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     */
    public static void rmsNormEach(KernelContext ctx, FloatArray x, FloatArray weight, FloatArray out, IntArray span,
                                   int n, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int count = span.get(1);
        for (int t = ctx.groupIdx; t < count; t += groups) {
            long base = (long) t * n;
            float squares = 0f;
            for (int i = lid; i < n; i += size) {
                float v = x.get(base + i);
                squares += v * v;
            }
            float total = GroupReduce.sum(ctx, scratch, squares);
            float scale = 1f / (float) Math.sqrt(total / n + eps);
            for (int i = lid; i < n; i += size) {
                out.set(base + i, x.get(base + i) * scale * weight.get(i));
            }
            ctx.localBarrier(); // scratch[0] is read before the next token overwrites scratch
        }
    }

    /**
     * {@link Rope#rotateQueryAndKeyByFrequencies} for every valid token b at position
     * {@code span[0] + b}: queries {@code [batch][heads * headDim]}, keys {@code [batch][kvHeads * headDim]}.
     * Grid: any 1-D (the loop covers {@code batch * (heads + kvHeads) * headDim / 2} pairs).
     */
    public static void rotateQueriesAndKeysByFrequencies(FloatArray queries, FloatArray keys, IntArray span,
                                                         FloatArray inverseFrequencies, int heads, int kvHeads, int headDim,
                                                         int batch) {
        int start = span.get(0);
        int count = span.get(1);
        int half = headDim / 2;
        int queryPairs = heads * half;
        int pairsPerToken = (heads + kvHeads) * half;
        for (@Parallel int p = 0; p < batch * pairsPerToken; p++) {
            int b = p / pairsPerToken;
            if (b < count) {
                int inToken = p - b * pairsPerToken;
                int local = inToken < queryPairs ? inToken : inToken - queryPairs;
                int head = local / half;
                int i = local - head * half;
                int pos = start + b;
                float angle = pos * inverseFrequencies.get(i);
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                if (inToken < queryPairs) {
                    long at = (long) b * heads * headDim + head * headDim + 2 * i;
                    float x0 = queries.get(at);
                    float x1 = queries.get(at + 1);
                    queries.set(at, x0 * c - x1 * s);
                    queries.set(at + 1, x0 * s + x1 * c);
                } else {
                    long at = (long) b * kvHeads * headDim + head * headDim + 2 * i;
                    float x0 = keys.get(at);
                    float x1 = keys.get(at + 1);
                    keys.set(at, x0 * c - x1 * s);
                    keys.set(at + 1, x0 * s + x1 * c);
                }
            }
        }
    }

    /**
     * {@code x[b][i] += bias[i]} for every token of the batch (Qwen2's q/k/v biases); unused
     * token rows take the bias too, harmlessly. Grid: any 1-D (the loop covers batch * n).
     */
    public static void addToEachToken(FloatArray x, FloatArray bias, int n, int batch) {
        for (@Parallel int p = 0; p < batch * n; p++) {
            x.set(p, x.get(p) + bias.get(p % n));
        }
    }

    /**
     * The LTE FFN's hidden vectors for the batch: {@code out[b][i] = silu(gate[b][i]) * up[b][i]}
     * where neuron i's expert {@code e = i / expertSize} passes token b's router
     * ({@code logits[b * experts + e] > minLogit}, the threshold's logit: {@code sigmoid(z) > tau}
     * exactly when {@code z > ln(tau / (1 - tau))}), else 0, so the down projection adds nothing
     * for an expert the sparse decode would skip. Grid: any 1-D (the loop covers batch * hiddenDim).
     */
    public static void siluGateTimesUpOfActiveExperts(FloatArray gate, FloatArray up, FloatArray logits, FloatArray out,
                                                      float minLogit, int hiddenDim, int expertSize, int batch) {
        int experts = hiddenDim / expertSize;
        for (@Parallel int p = 0; p < batch * hiddenDim; p++) {
            int b = p / hiddenDim;
            int e = (p - b * hiddenDim) / expertSize;
            float h = 0f;
            if (logits.get((long) b * experts + e) > minLogit) {
                h = Activations.silu(gate.get(p)) * up.get(p);
            }
            out.set(p, h);
        }
    }

    /**
     * {@code count[0]} = the experts that pass the last valid token's router ({@code logits[(span[1]
     * - 1) * experts + e] > minLogit}): what the sparse decode's compaction counts for that token,
     * so a caller reading the step's sparsity after a batched prompt reads its last token's.
     * Grid: one item.
     */
    public static void countActiveExpertsOfLastToken(FloatArray logits, IntArray span, IntArray count, float minLogit, int experts) {
        long base = (long) (span.get(1) - 1) * experts;
        int active = 0;
        for (int e = 0; e < experts; e++) {
            if (logits.get(base + e) > minLogit) {
                active++;
            }
        }
        count.set(0, active);
    }

    /**
     * {@code out = rows[span[1] - 1]}: the last valid token's vector of n floats, which the
     * decode's output graph turns into logits. Grid: any 1-D (the loop covers n).
     */
    public static void copyLastToken(FloatArray rows, IntArray span, FloatArray out, int n) {
        long base = (long) (span.get(1) - 1) * n;
        for (@Parallel int i = 0; i < n; i++) {
            out.set(i, rows.get(base + i));
        }
    }
}
