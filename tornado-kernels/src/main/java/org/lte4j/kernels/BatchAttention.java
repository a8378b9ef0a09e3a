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
        int lid = ctx.localIdx;
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
            int positions = start + t + 1;
            long q0 = (long) t * heads * headDim + h * headDim;
            int kvOffset = (h / queriesPerKv) * headDim;
            long scoreBase = (long) item * contextLength;

            float max = Float.NEGATIVE_INFINITY;
            for (int p = lid; p < positions; p += size) {
                long k0 = (long) p * kvDim + kvOffset;
                float d0 = 0f;
                float d1 = 0f;
                float d2 = 0f;
                float d3 = 0f;
                int d = 0;
                for (; d + 3 < headDim; d += 4) {
                    d0 += queries.get(q0 + d) * keyCache.get(k0 + d);
                    d1 += queries.get(q0 + d + 1) * keyCache.get(k0 + d + 1);
                    d2 += queries.get(q0 + d + 2) * keyCache.get(k0 + d + 2);
                    d3 += queries.get(q0 + d + 3) * keyCache.get(k0 + d + 3);
                }
                for (; d < headDim; d++) {
                    d0 += queries.get(q0 + d) * keyCache.get(k0 + d);
                }
                float s = ((d0 + d1) + (d2 + d3)) * scale;
                scores.set(scoreBase + p, s);
                max = Math.max(max, s);
            }
            max = GroupReduce.max(ctx, scratch, max);
            ctx.localBarrier(); // every item has read the max before the sum below overwrites scratch

            float sum = 0f;
            for (int p = lid; p < positions; p += size) {
                float e = (float) Math.exp(scores.get(scoreBase + p) - max);
                scores.set(scoreBase + p, e);
                sum += e;
            }
            // the weighted sum below reads every item's weights: a barrier that also orders global memory
            ctx.globalBarrier();
            float total = GroupReduce.sum(ctx, scratch, sum);

            for (int d = lid; d < headDim; d += size) {
                long v0 = kvOffset + d;
                float a0 = 0f;
                float a1 = 0f;
                float a2 = 0f;
                float a3 = 0f;
                int p = 0;
                for (; p + 3 < positions; p += 4) {
                    a0 += scores.get(scoreBase + p) * valueCache.get(v0 + (long) p * kvDim);
                    a1 += scores.get(scoreBase + p + 1) * valueCache.get(v0 + (long) (p + 1) * kvDim);
                    a2 += scores.get(scoreBase + p + 2) * valueCache.get(v0 + (long) (p + 2) * kvDim);
                    a3 += scores.get(scoreBase + p + 3) * valueCache.get(v0 + (long) (p + 3) * kvDim);
                }
                for (; p < positions; p++) {
                    a0 += scores.get(scoreBase + p) * valueCache.get(v0 + (long) p * kvDim);
                }
                out.set(q0 + d, ((a0 + a1) + (a2 + a3)) / total);
            }
            // scratch[0] and the scores are read before the next item reuses them
            ctx.globalBarrier();
        }
    }
}
