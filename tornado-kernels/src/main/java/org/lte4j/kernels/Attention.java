package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.MaxWorkGroupSize;
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
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int positions = position.get(0) + 1;
        int kvDim = kvHeads * headDim;
        int queriesPerKv = heads / kvHeads;
        float scale = 1f / (float) Math.sqrt((float) headDim);
        for (int h = ctx.groupIdx; h < heads; h += groups) {
            attendHead(ctx, scratch, query, h * headDim, keyCache, valueCache, (h / queriesPerKv) * headDim, kvDim,
                    scores, (long) h * contextLength, positions, headDim, scale, out);
        }
    }

    /**
     * One query head over cache positions {@code 0 .. positions - 1}, by every item of the group:
     * items stride over positions for the scores (kept from {@code scoreBase} in {@code scores}),
     * then over dimensions for the weighted values, written to {@code out[q0 ..]}. Shared by the
     * decode ({@link #attendOneQuery}) and the prompt batch ({@link BatchAttention#attendCausal}),
     * so a prompt token's output matches decode up to the sum order of the trees. Starts and ends
     * with a barrier; {@code scratch} holds {@link GroupLimits#MAX_LOCAL_SIZE} floats.
     */
    static void attendHead(KernelContext ctx, float[] scratch, FloatArray query, long q0, FloatArray keyCache, FloatArray valueCache,
                           int kvOffset, int kvDim, FloatArray scores, long scoreBase, int positions, int headDim, float scale,
                           FloatArray out) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
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
        // scratch[0] and the scores are read before the next head reuses them
        ctx.globalBarrier();
    }

    /** The widest head {@link #attendOneQueryItemPerHead} takes: its value sums live in a private array of this size. */
    public static final int MAX_ITEM_HEAD_DIM = 256;

    /**
     * The same attention with one work-item per query head and no barriers, for CPU OpenCL
     * (PoCL): the work-group kernels make PoCL vectorise across items, so each lane gathers keys
     * kvDim apart, and it splits their loops at every barrier; here an item walks its head's
     * positions itself, the dot products and the value sums running over contiguous dimensions
     * (eight partial sums, one SIMD register for the C compiler; the value sums in a private
     * array, which no global write can alias). On PoCL on the 2-core development machine
     * (llama-110m F32, profiled) it took 4.4 ms per token at 1000 cached positions against 10.8
     * for {@link #attendOneQuery}, and 0.16 against 0.22 at position 0 (docs/PERF.md).
     * {@code headDim} at most {@value #MAX_ITEM_HEAD_DIM}.
     * Grid: any 1-D (the loop covers the heads; one item per group lets PoCL spread the heads
     * over its threads). {@code scores} as for {@link #attendOneQuery}. Traffic as there.
     */
    public static void attendOneQueryItemPerHead(FloatArray query, FloatArray keyCache, FloatArray valueCache, FloatArray scores,
                                                 FloatArray out, IntArray position, int heads, int kvHeads, int headDim,
                                                 int contextLength) {
        for (@Parallel int h = 0; h < heads; h++) {
            float[] sums = new float[MAX_ITEM_HEAD_DIM];
            attendHeadInOneItem(sums, query, (long) h * headDim, keyCache, valueCache, (long) (h / (heads / kvHeads)) * headDim,
                    kvHeads * headDim, scores, (long) h * contextLength, position.get(0) + 1, headDim, out);
        }
    }

    /**
     * One query head at {@code query[q0 ..]} over cache positions {@code 0 .. positions - 1} by a
     * single work-item, into {@code out[q0 ..]}: the scores (kept from {@code scoreBase} in
     * {@code scores}) by {@link MatVec#rowDotF32}, the softmax, then the
     * value sums in the private {@code sums} (at least headDim floats). Shared by the decode
     * ({@link #attendOneQueryItemPerHead}) and the prompt batch
     * ({@link BatchAttention#attendCausalItemPerHead}), so a prompt token's output is decode's.
     */
    static void attendHeadInOneItem(float[] sums, FloatArray query, long q0, FloatArray keyCache, FloatArray valueCache, long kvOffset,
                                    int kvDim, FloatArray scores, long scoreBase, int positions, int headDim, FloatArray out) {
        float scale = 1f / (float) Math.sqrt((float) headDim);
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < positions; p++) {
            // eight partial sums over consecutive dimensions, as the CPU GEMVs (products commute: the same floats)
            float score = MatVec.rowDotF32(keyCache, (long) p * kvDim + kvOffset, query, q0, headDim) * scale;
            scores.set(scoreBase + p, score);
            max = Math.max(max, score);
        }
        float sum = 0f;
        for (int p = 0; p < positions; p++) {
            float e = (float) Math.exp(scores.get(scoreBase + p) - max);
            scores.set(scoreBase + p, e);
            sum += e;
        }
        for (int d = 0; d < headDim; d++) {
            sums[d] = 0f;
        }
        for (int p = 0; p < positions; p++) {
            float w = scores.get(scoreBase + p);
            long v0 = (long) p * kvDim + kvOffset;
            for (int d = 0; d < headDim; d++) {
                sums[d] += w * valueCache.get(v0 + d);
            }
        }
        for (int d = 0; d < headDim; d++) {
            out.set(q0 + d, sums[d] / sum);
        }
    }

    /** Items that share one position's dot product in {@link #attendOneQueryLanesPerPosition} (a warp where the group allows). */
    private static final int LANES = 32;
    /** Positions whose scores one round of {@link #attendOneQueryLanesPerPosition} computes before a barrier. */
    private static final int POSITIONS_PER_ROUND = 256;
    /** The shortest run of positions {@link #attendOneQuerySplitPositions} gives a work-group: one round of the largest group. */
    public static final int MIN_RUN = POSITIONS_PER_ROUND;

    /**
     * The same attention as {@link #attendOneQuery}, with every phase split across the group
     * instead of giving each item a whole position or a whole dimension: on a GPU the scalar
     * kernel walks 128 dimensions (scores) or every position (values) in one dependent chain per
     * item, and its key loads are strided by kvDim across a warp.
     * <ul>
     * <li>Scores: {@code lanes = min(L, 32)} items share a position, lane {@code i} taking
     * dimensions {@code i, i + lanes, ...} (coalesced key loads); a round computes up to 256
     * positions' partial sums into local memory, then item {@code j} adds position j's lanes in
     * lane order (one barrier per round, not a tree per position).</li>
     * <li>Softmax: max and sum as trees; item {@code j} exponentiates the scores it wrote.</li>
     * <li>Values: item (row, lane) accumulates dimensions {@code lane + k * lanes} (k &lt; 4) over
     * positions {@code row, row + rows, ...}; the rows' partials are then added in row order.</li>
     * </ul>
     * Every order is fixed by L alone, so results are deterministic (they differ from
     * {@link #attendOneQuery} in rounding only). Grid as for {@link #attendOneQuery}:
     * {@code WorkerGrid.of(heads * L, L)}, L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE};
     * {@code scores} as there. Traffic is the same; local memory 33 KiB.
     */
    public static void attendOneQueryLanesPerPosition(KernelContext ctx, FloatArray query, FloatArray keyCache, FloatArray valueCache,
                                                      FloatArray scores, FloatArray out, IntArray position,
                                                      int heads, int kvHeads, int headDim, int contextLength) {
        float[] scratch = ctx.allocateFloatLocalArray(POSITIONS_PER_ROUND * (LANES + 1));
        int groups = ctx.globalGroupSizeX / ctx.localGroupSizeX;
        int positions = position.get(0) + 1;
        for (int h = ctx.groupIdx; h < heads; h += groups) {
            float max = scoresOfRange(ctx, scratch, query, keyCache, scores, h, heads, kvHeads, headDim, contextLength, 0, positions);
            float total = exponentiateRange(ctx, scratch, scores, (long) h * contextLength, 0, positions, max);
            weightedValuesOfRange(ctx, scratch, valueCache, scores, h, heads, kvHeads, headDim, contextLength, 0, positions, total,
                    out, h * headDim);
        }
    }

    /**
     * {@link #attendOneQueryLanesPerPosition} with each head's positions split into
     * {@code splits} runs, each its own work-group, so that a long context keeps every SM
     * streaming the cache (flash-decoding): one group per head would put a 4096-position
     * llama2-7b cache (128 MB a layer) through 32 SMs. A run is at least {@value #MIN_RUN}
     * positions ({@code max(256, ceil((position + 1) / splits))}, read from the device each step);
     * a run past the last position is empty. A context of one run is the plain kernel's work in
     * each head's first group, written straight to {@code out} (no partials, no ticket: at a short
     * context that protocol cost 0.2 ms per llama2-7b token on the H200). Otherwise each group
     * writes its run's maximum score m, its sum of exp(score - m) and its exp-weighted value sums
     * to {@code partials} (an empty run: -infinity, 0, zeros); the last group of a head to finish
     * (a ticket per head after a global fence, {@code tickets} all zero before the first launch
     * and left so after each) combines the runs in ascending order, rescaling each by
     * exp(m_run - m), so the result does not depend on which group finishes last.
     * Grid: {@code WorkerGrid.of(heads * splits * L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE} (declared, so that CUDA keeps the registers within a
     * 1024-item group's share); group g does head {@code g % heads}, run {@code g / heads}.
     * {@code scores} as for {@link #attendOneQuery}; {@code partials} holds
     * {@code heads * splits * (headDim + 2)} floats, {@code tickets} {@code heads} ints.
     * Traffic: as {@link #attendOneQuery}, plus 4 * heads * splits * (headDim + 2) bytes written
     * and read once.
     */
    @MaxWorkGroupSize(GroupLimits.MAX_LOCAL_SIZE) // unbounded, its combine took 80 registers an item on sm_90: at most 768 items
    public static void attendOneQuerySplitPositions(KernelContext ctx, FloatArray query, FloatArray keyCache, FloatArray valueCache,
                                                    FloatArray scores, FloatArray partials, IntArray tickets, FloatArray out,
                                                    IntArray position, int heads, int kvHeads, int headDim, int contextLength,
                                                    int splits) {
        float[] scratch = ctx.allocateFloatLocalArray(POSITIONS_PER_ROUND * (LANES + 1));
        int h = ctx.groupIdx % heads;
        int run = ctx.groupIdx / heads;
        int positions = position.get(0) + 1;
        int length = Math.max(MIN_RUN, (positions + splits - 1) / splits);
        // Every group meets every barrier (PoCL 3.1 miscomputed kernels whose barriers sit in
        // branches): a run past the last position is empty, and every helper is called once.
        boolean single = positions <= length; // one run holds the context: the plain kernel's work
        int from = Math.min(run * length, positions);
        int to = Math.min(from + length, positions);
        long part = (long) (h * splits + run) * (headDim + 2);
        boolean direct = single && run == 0;
        float max = scoresOfRange(ctx, scratch, query, keyCache, scores, h, heads, kvHeads, headDim, contextLength, from, to);
        float sum = exponentiateRange(ctx, scratch, scores, (long) h * contextLength, from, to, max);
        weightedValuesOfRange(ctx, scratch, valueCache, scores, h, heads, kvHeads, headDim, contextLength, from, to,
                direct ? sum : 1f, direct ? out : partials, direct ? (long) h * headDim : part + 2);
        if (ctx.localIdx == 0 && !direct) {
            partials.set(part, max);
            partials.set(part + 1, sum);
        }
        combineRunsInLastGroup(ctx, scratch, partials, tickets, out, h, headDim, splits, !single);
    }

    /**
     * Head h's scaled scores {@code q . k_p / sqrt(headDim)} for positions {@code [from, to)}
     * into {@code scores[h * contextLength + p]}; returns their maximum to every item
     * (-infinity for an empty run). Lanes per position as described at
     * {@link #attendOneQueryLanesPerPosition}.
     */
    private static float scoresOfRange(KernelContext ctx, float[] scratch, FloatArray query, FloatArray keyCache, FloatArray scores,
                                       int h, int heads, int kvHeads, int headDim, int contextLength, int from, int to) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, LANES);
        int lane = lid % lanes;
        int row = lid / lanes;
        int rows = size / lanes;
        int perRound = Math.min(size, POSITIONS_PER_ROUND);
        int slotsPerItem = perRound / rows;
        int stride = lanes + 1; // padded: item j reads slot j's lanes without bank conflicts
        int kvDim = kvHeads * headDim;
        int q0 = h * headDim;
        int kvOffset = (h / (heads / kvHeads)) * headDim;
        long scoreBase = (long) h * contextLength;
        float scale = 1f / (float) Math.sqrt((float) headDim);
        // this lane's query dimensions, loaded once per head (heads of up to 4 * lanes dims:
        // every Llama size), instead of once per position
        boolean narrow = headDim <= 4 * lanes;
        float qa = lane < headDim ? query.get(q0 + lane) : 0f;
        float qb = lane + lanes < headDim ? query.get(q0 + lane + lanes) : 0f;
        float qc = lane + 2 * lanes < headDim ? query.get(q0 + lane + 2 * lanes) : 0f;
        float qd = lane + 3 * lanes < headDim ? query.get(q0 + lane + 3 * lanes) : 0f;
        float max = Float.NEGATIVE_INFINITY;
        for (int base = from; base < to; base += perRound) {
            // slots past the last position are left alone: nobody reads them below
            for (int j = 0; j < slotsPerItem && base + row + j * rows < to; j++) {
                int slot = row + j * rows;
                long k0 = (long) (base + slot) * kvDim + kvOffset + lane;
                float partial = 0f;
                if (narrow) {
                    float pa = lane < headDim ? qa * keyCache.get(k0) : 0f;
                    float pb = lane + lanes < headDim ? qb * keyCache.get(k0 + lanes) : 0f;
                    float pc = lane + 2 * lanes < headDim ? qc * keyCache.get(k0 + 2 * lanes) : 0f;
                    float pd = lane + 3 * lanes < headDim ? qd * keyCache.get(k0 + 3 * lanes) : 0f;
                    partial = (pa + pb) + (pc + pd);
                } else {
                    for (int d = lane; d < headDim; d += lanes) {
                        partial += query.get(q0 + d) * keyCache.get(k0 + d - lane);
                    }
                }
                scratch[slot * stride + lane] = partial;
            }
            ctx.localBarrier();
            if (lid < perRound && base + lid < to) {
                float dot = 0f;
                for (int i = 0; i < lanes; i++) {
                    dot += scratch[lid * stride + i];
                }
                float s = dot * scale;
                scores.set(scoreBase + base + lid, s);
                max = Math.max(max, s);
            }
            // the next round (or the max below) overwrites the slots just read
            ctx.localBarrier();
        }
        return GroupReduce.max(ctx, scratch, max);
    }

    /**
     * Replaces the scores of positions {@code [from, to)} at {@code scoreBase} by
     * {@code exp(score - max)} and returns their sum to every item (0 for an empty run).
     */
    private static float exponentiateRange(KernelContext ctx, float[] scratch, FloatArray scores, long scoreBase, int from, int to,
                                           float max) {
        int lid = ctx.localIdx;
        int perRound = Math.min(ctx.localGroupSizeX, POSITIONS_PER_ROUND);
        float sum = 0f;
        if (lid < perRound) {
            for (int p = from + lid; p < to; p += perRound) {
                float e = (float) Math.exp(scores.get(scoreBase + p) - max);
                scores.set(scoreBase + p, e);
                sum += e;
            }
        }
        // the values that follow read every item's weights (a barrier that also orders global
        // memory); it also keeps the sum's writes to scratch after every read of the max
        ctx.globalBarrier();
        float total = GroupReduce.sum(ctx, scratch, sum);
        ctx.localBarrier();
        return total;
    }

    /**
     * {@code dst[dstOffset + d] = sum over p in [from, to) of w_p * v_p[d] / divisor} for head
     * h's value rows, {@code w_p} the weights {@link #exponentiateRange} left in {@code scores}:
     * item (row, lane) accumulates dimensions {@code lane + k * lanes} (k &lt; 4) over positions
     * {@code from + row, from + row + rows, ...}, and the rows' partials are added in row order.
     */
    private static void weightedValuesOfRange(KernelContext ctx, float[] scratch, FloatArray valueCache, FloatArray scores, int h,
                                              int heads, int kvHeads, int headDim, int contextLength, int from, int to,
                                              float divisor, FloatArray dst, long dstOffset) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, LANES);
        int lane = lid % lanes;
        int row = lid / lanes;
        int rows = size / lanes;
        int kvDim = kvHeads * headDim;
        int kvOffset = (h / (heads / kvHeads)) * headDim;
        long scoreBase = (long) h * contextLength;
        int chunk = 4 * lanes;
        for (int d0 = 0; d0 < headDim; d0 += chunk) {
            int d = d0 + lane;
            float a0 = 0f;
            float a1 = 0f;
            float a2 = 0f;
            float a3 = 0f;
            long v0 = kvOffset + d;
            for (int p = from + row; p < to; p += rows) {
                float w = scores.get(scoreBase + p);
                long v = v0 + (long) p * kvDim;
                if (d < headDim) {
                    a0 += w * valueCache.get(v);
                }
                if (d + lanes < headDim) {
                    a1 += w * valueCache.get(v + lanes);
                }
                if (d + 2 * lanes < headDim) {
                    a2 += w * valueCache.get(v + 2 * lanes);
                }
                if (d + 3 * lanes < headDim) {
                    a3 += w * valueCache.get(v + 3 * lanes);
                }
            }
            int r0 = row * chunk + lane;
            scratch[r0] = a0;
            scratch[r0 + lanes] = a1;
            scratch[r0 + 2 * lanes] = a2;
            scratch[r0 + 3 * lanes] = a3;
            ctx.localBarrier();
            for (int c = lid; c < chunk; c += size) {
                if (d0 + c < headDim) {
                    float acc = 0f;
                    for (int r = 0; r < rows; r++) {
                        acc += scratch[r * chunk + c];
                    }
                    dst.set(dstOffset + d0 + c, acc / divisor);
                }
            }
            // the next chunk (or head) overwrites scratch
            ctx.localBarrier();
        }
    }

    /**
     * After every item wrote its part of head h's run: with {@code combines}, the group takes a
     * ticket, and the group that draws the head's last one combines the {@code splits} runs of
     * {@code partials}
     * (m, l, then headDim weighted sums each) into {@code out[h * headDim + d]} =
     * {@code sum_r exp(m_r - M) o_r[d] / sum_r exp(m_r - M) l_r}, M the largest m_r, in run order,
     * and resets the ticket.
     */
    private static void combineRunsInLastGroup(KernelContext ctx, float[] scratch, FloatArray partials, IntArray tickets,
                                               FloatArray out, int h, int headDim, int splits, boolean combines) {
        int lid = ctx.localIdx;
        if (combines) {
            ctx.globalMemoryFence(); // this item's partials before the group's ticket
        }
        ctx.localBarrier();
        if (lid == 0) {
            scratch[0] = combines ? ctx.atomicAdd(tickets, h, 1) : -1;
        }
        ctx.localBarrier();
        if ((int) scratch[0] == splits - 1) { // the same for the whole group
            ctx.globalMemoryFence(); // every other group's partials after their tickets
            int width = headDim + 2;
            long first = (long) h * splits * width;
            float top = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < splits; r++) {
                top = Math.max(top, partials.get(first + (long) r * width));
            }
            for (int d = lid; d < headDim; d += ctx.localGroupSizeX) {
                float weighted = 0f;
                float total = 0f;
                for (int r = 0; r < splits; r++) {
                    long p = first + (long) r * width;
                    float rescale = (float) Math.exp(partials.get(p) - top);
                    weighted += rescale * partials.get(p + 2 + d);
                    total += rescale * partials.get(p + 1);
                }
                out.set((long) h * headDim + d, weighted / total);
            }
            if (lid == 0) {
                tickets.set(h, 0);
            }
        }
    }
}
