package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * Causal attention for a batch of consecutive prompt tokens, over the KV cache layout of
 * {@link Attention} ({@code cache[p * kvDim + kvHead * headDim + d]}). The batch is described
 * by {@code span} as in {@link TokenBatch}: {@code span[0]} the first token's position,
 * {@code span[1]} the number of valid tokens. Queries, keys and values are token-major.
 */
public final class BatchAttention {
    private BatchAttention() {
    }

    /**
     * Writes the valid tokens' keys and values ({@code [batch][kvDim]}) into cache rows
     * {@code span[0] .. span[0] + span[1] - 1}, which are consecutive, so this is one contiguous
     * copy per cache. Grid: any 1-D (the loop covers {@code batch * kvDim}).
     */
    public static void storeKeysValues(FloatArray keys, FloatArray values, FloatArray keyCache, FloatArray valueCache,
                                       IntArray span, int kvDim, int batch) {
        long base = (long) span.get(0) * kvDim;
        int valid = span.get(1) * kvDim;
        for (@Parallel int i = 0; i < batch * kvDim; i++) {
            if (i < valid) {
                keyCache.set(base + i, keys.get(i));
                valueCache.set(base + i, values.get(i));
            }
        }
    }

    /**
     * {@link Attention#attendOneQuery} for each valid token b of the batch, whose query sees
     * cache positions {@code 0 .. span[0] + b} (the keys of the batch itself stored first, by
     * {@link #storeKeysValues}). One work-group per (token, head) pair, item
     * {@code t * heads + h} (fewer groups loop); the same order of operations as
     * {@code attendOneQuery}, so a token's output matches decode up to the sum order of the tree.
     * {@code scores} is a scratch of {@code batch * heads * contextLength} floats.
     * Grid: {@code WorkerGrid.of(batch * heads * L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}.
     */
    public static void attendCausal(KernelContext ctx, FloatArray queries, FloatArray keyCache, FloatArray valueCache,
                                    FloatArray scores, FloatArray out, IntArray span,
                                    int heads, int kvHeads, int headDim, int contextLength) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int start = span.get(0);
        int items = span.get(1) * heads;
        int kvDim = kvHeads * headDim;
        int queriesPerKv = heads / kvHeads;
        float scale = 1f / (float) Math.sqrt((float) headDim);
        for (int item = ctx.groupIdx; item < items; item += groups) {
            int t = item / heads;
            int h = item - t * heads;
            Attention.attendHead(ctx, scratch, queries, (long) t * heads * headDim + h * headDim, keyCache, valueCache,
                    (h / queriesPerKv) * headDim, kvDim, scores, (long) item * contextLength, start + t + 1, headDim, scale, out);
        }
    }

    /**
     * {@link #attendCausal} with one work-item per (token, head) pair and no barriers, as
     * {@link Attention#attendOneQueryItemPerHead} for decode (CPU OpenCL; the same arithmetic, so
     * a prompt token's output is exactly decode's): item {@code t * heads + h} of the
     * {@code batch * heads} the loop covers, pairs of tokens past {@code span[1]} doing nothing.
     * {@code headDim} at most {@link Attention#MAX_ITEM_HEAD_DIM}; {@code scores} as for
     * {@link #attendCausal}. Grid: any 1-D (one item per group spreads the pairs over PoCL's threads).
     */
    public static void attendCausalItemPerHead(FloatArray queries, FloatArray keyCache, FloatArray valueCache, FloatArray scores,
                                               FloatArray out, IntArray span, int heads, int kvHeads, int headDim, int contextLength,
                                               int batch) {
        for (@Parallel int item = 0; item < batch * heads; item++) {
            float[] sums = new float[Attention.MAX_ITEM_HEAD_DIM];
            int t = item / heads;
            if (t < span.get(1)) {
                int h = item - t * heads;
                Attention.attendHeadInOneItem(sums, queries, (long) item * headDim, keyCache, valueCache,
                        (long) (h / (heads / kvHeads)) * headDim, kvHeads * headDim, scores, (long) item * contextLength,
                        span.get(0) + t + 1, headDim, out);
            }
        }
    }
}
