package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

class AttentionTest {

    @Test
    void storeKeyValueWritesOnlyTheCurrentRow() {
        int kvDim = 6;
        int context = 4;
        RandomArrays r = new RandomArrays(1);
        FloatArray key = r.floats(kvDim);
        FloatArray value = r.floats(kvDim);
        FloatArray keyCache = new FloatArray(context * kvDim);
        FloatArray valueCache = new FloatArray(context * kvDim);
        IntArray position = IntArray.of(2);
        JvmRun.execute(Task.of("store", () -> Attention.storeKeyValue(key, value, keyCache, valueCache, position, kvDim)));
        for (int p = 0; p < context; p++) {
            for (int i = 0; i < kvDim; i++) {
                assertEquals(p == 2 ? key.get(i) : 0f, keyCache.get(p * kvDim + i), 0f);
                assertEquals(p == 2 ? value.get(i) : 0f, valueCache.get(p * kvDim + i), 0f);
            }
        }
    }

    /** The attention kernels under test: same signature, same contract. */
    enum Kernel {
        PER_POSITION_ITEM, LANES_PER_POSITION,
        /** Its groups split each head's positions: {@code groups / heads} runs. */
        SPLIT_POSITIONS,
        /** One item per head, no barriers (the grid's groups of one item). */
        ITEM_PER_HEAD;

        Task task(KernelContext ctx, FloatArray query, FloatArray keyCache, FloatArray valueCache, FloatArray scores, FloatArray out,
                  IntArray position, int heads, int kvHeads, int headDim, int context, int groups) {
            int splits = groups / heads;
            FloatArray partials = new FloatArray(Math.max(1, heads * splits * (headDim + 2)));
            IntArray tickets = new IntArray(heads);
            return switch (this) {
                case PER_POSITION_ITEM -> Task.of("attend", () -> Attention.attendOneQuery(ctx, query, keyCache, valueCache, scores, out,
                        position, heads, kvHeads, headDim, context));
                case LANES_PER_POSITION -> Task.of("attend", () -> Attention.attendOneQueryLanesPerPosition(ctx, query, keyCache, valueCache,
                        scores, out, position, heads, kvHeads, headDim, context));
                case SPLIT_POSITIONS -> Task.of("attend", () -> Attention.attendOneQuerySplitPositions(ctx, query, keyCache, valueCache,
                        scores, partials, tickets, out, position, heads, kvHeads, headDim, context, splits));
                case ITEM_PER_HEAD -> Task.of("attend", () -> Attention.attendOneQueryItemPerHead(query, keyCache, valueCache, scores, out,
                        position, heads, kvHeads, headDim, context));
            };
        }
    }

    @ParameterizedTest(name = "{0} heads={1} kvHeads={2} headDim={3} pos={4} local={5} groups={6} context={7}")
    @CsvSource({
            "PER_POSITION_ITEM,  1, 1, 4, 0, 32, 1, 40",       // a single position: output is that value row
            "PER_POSITION_ITEM,  8, 2, 48, 29, 16, 8, 40",     // GQA 4:1, positions not a multiple of the group
            "PER_POSITION_ITEM,  4, 4, 32, 39, 32, 4, 40",     // plain multi-head, last slot of the cache
            "PER_POSITION_ITEM,  6, 3, 16, 10, 32, 2, 40",     // fewer groups than heads
            "LANES_PER_POSITION, 1, 1, 4, 0, 32, 1, 40",       // a single position; head narrower than the lanes
            "LANES_PER_POSITION, 2, 1, 128, 0, 64, 2, 40",     // a single position, llama's head size
            "LANES_PER_POSITION, 8, 2, 48, 29, 16, 8, 40",     // GQA 4:1, positions not a multiple of the group
            "LANES_PER_POSITION, 4, 4, 32, 39, 32, 4, 40",     // plain multi-head, last slot of the cache
            "LANES_PER_POSITION, 6, 3, 16, 10, 32, 2, 40",     // fewer groups than heads
            "LANES_PER_POSITION, 4, 2, 128, 599, 64, 4, 640",  // long context: several rounds of 64 positions, GQA
            "LANES_PER_POSITION, 2, 1, 128, 599, 256, 2, 600", // long context, llama's group: three rounds of 256 positions
            "LANES_PER_POSITION, 2, 2, 72, 300, 4, 2, 320",    // JVM-sized group: 4 lanes, 18 chunks of dims
            "LANES_PER_POSITION, 4, 1, 160, 70, 128, 4, 80",   // 4 rows of lanes; head wider than one chunk of 128 dims
            "SPLIT_POSITIONS,    1, 1, 4, 0, 32, 4, 40",       // a single position: three of four runs empty
            "SPLIT_POSITIONS,    8, 2, 48, 29, 16, 16, 40",    // short context: each head's first run holds it all, GQA
            "SPLIT_POSITIONS,    2, 1, 128, 599, 64, 6, 640",  // three runs of 256 positions (the last one short)
            "SPLIT_POSITIONS,    4, 2, 128, 1100, 256, 16, 1200", // runs of 276 (1101 / 4), llama's head size, GQA
            "SPLIT_POSITIONS,    2, 2, 72, 700, 4, 8, 720",    // JVM-sized group: 4 lanes, runs of 256, the fourth empty
            "SPLIT_POSITIONS,    4, 1, 160, 300, 128, 4, 320",  // one run per head; head wider than one chunk of 128 dims
            "ITEM_PER_HEAD,      1, 1, 4, 0, 1, 1, 40",        // a single position; head narrower than the eight sums
            "ITEM_PER_HEAD,      8, 2, 48, 29, 1, 8, 40",      // GQA 4:1
            "ITEM_PER_HEAD,      6, 3, 20, 39, 1, 3, 40",      // fewer items than heads; 20 dims: eight-sum tail of four
            "ITEM_PER_HEAD,      2, 1, 128, 599, 1, 2, 600"})  // long context, llama's head size
    void attentionMatchesScalarSoftmaxOverCache(Kernel kernel, int heads, int kvHeads, int headDim, int pos, int local, int groups, int context) {
        int kvDim = kvHeads * headDim;
        RandomArrays r = new RandomArrays(heads * 100L + pos);
        FloatArray query = r.floats(heads * headDim);
        FloatArray keyCache = r.floats(context * kvDim);
        FloatArray valueCache = r.floats(context * kvDim);
        FloatArray scores = new FloatArray(heads * context);
        FloatArray out = new FloatArray(heads * headDim);
        IntArray position = IntArray.of(pos);
        double[] expected = scalarAttention(query, keyCache, valueCache, heads, kvHeads, headDim, pos);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(kernel.task(ctx, query, keyCache, valueCache, scores, out, position, heads, kvHeads, headDim, context, groups)
                .withGrid(WorkerGrid.of(groups * local, local)));
        JvmRun.assertClose(expected, out, 2e-6, "out");
    }

    /**
     * One task run step after step as the cache grows (the decoder's graph): each head's last
     * group resets its ticket, so the next step combines again, and every step matches the
     * scalar reference, also across the step where a second run starts.
     */
    @Test
    void splitPositionsCombinesAgainAtEveryStep() {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 32;
        int context = 600;
        int local = 32;
        int splits = 3;
        RandomArrays r = new RandomArrays(11);
        FloatArray query = r.floats(heads * headDim);
        FloatArray keyCache = r.floats(context * kvHeads * headDim);
        FloatArray valueCache = r.floats(context * kvHeads * headDim);
        FloatArray scores = new FloatArray(heads * context);
        FloatArray out = new FloatArray(heads * headDim);
        IntArray position = IntArray.of(0);
        KernelContext ctx = new KernelContext();
        Task task = Kernel.SPLIT_POSITIONS.task(ctx, query, keyCache, valueCache, scores, out, position, heads, kvHeads, headDim, context,
                heads * splits).withGrid(WorkerGrid.of(heads * splits * local, local));
        for (int pos : new int[] {3, 255, 256, 520, 599}) {
            position.set(0, pos);
            JvmRun.execute(task);
            JvmRun.assertClose(scalarAttention(query, keyCache, valueCache, heads, kvHeads, headDim, pos), out, 2e-6, "pos " + pos);
        }
    }

    /** Same inputs, same group size: bit-identical outputs (every summation order is fixed). */
    @Test
    void lanesPerPositionIsDeterministic() {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 64;
        int context = 300;
        RandomArrays r = new RandomArrays(7);
        FloatArray query = r.floats(heads * headDim);
        FloatArray keyCache = r.floats(context * kvHeads * headDim);
        FloatArray valueCache = r.floats(context * kvHeads * headDim);
        IntArray position = IntArray.of(280);
        FloatArray[] outs = new FloatArray[2];
        for (int run = 0; run < 2; run++) {
            FloatArray scores = new FloatArray(heads * context);
            FloatArray out = new FloatArray(heads * headDim);
            KernelContext ctx = new KernelContext();
            JvmRun.execute(Task.of("attend", () -> Attention.attendOneQueryLanesPerPosition(ctx, query, keyCache, valueCache, scores, out,
                    position, heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * 64, 64)));
            outs[run] = out;
        }
        for (int i = 0; i < heads * headDim; i++) {
            assertEquals(Float.floatToRawIntBits(outs[0].get(i)), Float.floatToRawIntBits(outs[1].get(i)), "out[" + i + "]");
        }
    }

    /** softmax(q_h . k_p / sqrt(headDim)) over p = 0..pos, times the value rows, in double. */
    private static double[] scalarAttention(FloatArray query, FloatArray keyCache, FloatArray valueCache,
                                            int heads, int kvHeads, int headDim, int pos) {
        int kvDim = kvHeads * headDim;
        double[] expected = new double[heads * headDim];
        for (int h = 0; h < heads; h++) {
            int kvHead = h / (heads / kvHeads);
            double[] s = new double[pos + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p <= pos; p++) {
                for (int d = 0; d < headDim; d++) {
                    s[p] += (double) query.get(h * headDim + d) * keyCache.get(p * kvDim + kvHead * headDim + d);
                }
                s[p] /= Math.sqrt(headDim);
                max = Math.max(max, s[p]);
            }
            double sum = 0;
            for (int p = 0; p <= pos; p++) {
                s[p] = Math.exp(s[p] - max);
                sum += s[p];
            }
            for (int d = 0; d < headDim; d++) {
                for (int p = 0; p <= pos; p++) {
                    expected[h * headDim + d] += s[p] / sum * valueCache.get(p * kvDim + kvHead * headDim + d);
                }
            }
        }
        return expected;
    }
}
