package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * Decode-time attention with a KV cache and grouped-query attention (GQA).
 *
 * <p>Cache layout (one pair of arrays per layer): position-major,
 * {@code cache[p * kvDim + kvHead * headDim + d]} with {@code kvDim = kvHeads * headDim}, for
 * positions {@code 0 .. contextLength - 1}. The current position is {@code position[0]}, read on
 * the device so one captured graph serves every step.
 */
public final class Attention {
    private Attention() {
    }

    /**
     * Writes the current token's key and value ({@code kvDim} floats each) into row
     * {@code position[0]} of the caches.
     * Grid: any 1-D (the loop covers kvDim). Traffic: reads 8 * kvDim bytes, writes 8 * kvDim.
     */
    public static void storeKeyValue(FloatArray key, FloatArray value, FloatArray keyCache, FloatArray valueCache,
                                     IntArray position, int kvDim) {
        long base = (long) position.get(0) * kvDim;
        for (@Parallel int i = 0; i < kvDim; i++) {
            keyCache.set(base + i, key.get(i));
            valueCache.set(base + i, value.get(i));
        }
    }

    /**
     * Attention of one query token over cache positions {@code 0 .. pos} (inclusive), one
     * work-group per query head; head h reads KV head {@code h / (heads / kvHeads)}:
     * <pre>
     *   s_p = (q_h . k_p) / sqrt(headDim),  a_p = softmax(s)_p,  out_h = sum_p a_p v_p
     * </pre>
     * Work-items stride over positions to compute scores (kept in {@code scores}, a scratch of
     * {@code heads * contextLength} floats: head h uses {@code scores[h * contextLength + p]}),
     * reduce max and sum as trees in local memory, then stride over the head's dimensions to
     * accumulate the values in position order.
     * Grid: {@code WorkerGrid.of(heads * L, L)} (fewer groups loop over heads), L a power of two
     * at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic per head: reads (pos + 1) * headDim * 4 bytes of keys and as many of values, plus
     * the scores three times; writes 4 * headDim bytes of output.
     */
    public static void attendOneQuery(KernelContext ctx, FloatArray query, FloatArray keyCache, FloatArray valueCache,
                                      FloatArray scores, FloatArray out, IntArray position,
                                      int heads, int kvHeads, int headDim, int contextLength) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int positions = position.get(0) + 1;
        int kvDim = kvHeads * headDim;
        int queriesPerKv = heads / kvHeads;
        float scale = 1f / (float) Math.sqrt((float) headDim);
        for (int h = ctx.groupIdx; h < heads; h += groups) {
            int q0 = h * headDim;
            int kvOffset = (h / queriesPerKv) * headDim;
            long scoreBase = (long) h * contextLength;

            float max = Float.NEGATIVE_INFINITY;
            for (int p = lid; p < positions; p += size) {
                long k0 = (long) p * kvDim + kvOffset;
                // four partial sums: four independent loads in flight instead of one dependent chain
                float d0 = 0f;
                float d1 = 0f;
                float d2 = 0f;
                float d3 = 0f;
                int d = 0;
                for (; d + 3 < headDim; d += 4) {
                    d0 += query.get(q0 + d) * keyCache.get(k0 + d);
                    d1 += query.get(q0 + d + 1) * keyCache.get(k0 + d + 1);
                    d2 += query.get(q0 + d + 2) * keyCache.get(k0 + d + 2);
                    d3 += query.get(q0 + d + 3) * keyCache.get(k0 + d + 3);
                }
                for (; d < headDim; d++) {
                    d0 += query.get(q0 + d) * keyCache.get(k0 + d);
                }
                float s = ((d0 + d1) + (d2 + d3)) * scale;
                scores.set(scoreBase + p, s);
                max = Math.max(max, s);
            }
            scratch[lid] = max;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] = Math.max(scratch[lid], scratch[lid + stride]);
                }
                ctx.localBarrier();
            }
            max = scratch[0];
            ctx.localBarrier();

            float sum = 0f;
            for (int p = lid; p < positions; p += size) {
                float e = (float) Math.exp(scores.get(scoreBase + p) - max);
                scores.set(scoreBase + p, e);
                sum += e;
            }
            scratch[lid] = sum;
            // the weighted sum below reads every item's scores: a barrier that also orders global memory
            ctx.globalBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            float total = scratch[0];

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
            // scratch[0] and the scores are read before the next head reuses them
            ctx.globalBarrier();
        }
    }
}
