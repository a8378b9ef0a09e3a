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

    @ParameterizedTest(name = "heads={0} kvHeads={1} headDim={2} pos={3} local={4} groups={5}")
    @CsvSource({
            "1, 1, 4, 0, 32, 1",        // a single position: output is that value row
            "8, 2, 48, 29, 16, 8",      // GQA 4:1, positions not a multiple of the group
            "4, 4, 32, 39, 32, 4",      // plain multi-head, last slot of the cache
            "6, 3, 16, 10, 32, 2"})     // fewer groups than heads
    void attentionMatchesScalarSoftmaxOverCache(int heads, int kvHeads, int headDim, int pos, int local, int groups) {
        int context = 40;
        int kvDim = kvHeads * headDim;
        RandomArrays r = new RandomArrays(heads * 100L + pos);
        FloatArray query = r.floats(heads * headDim);
        FloatArray keyCache = r.floats(context * kvDim);
        FloatArray valueCache = r.floats(context * kvDim);
        FloatArray scores = new FloatArray(heads * context);
        FloatArray out = new FloatArray(heads * headDim);
        IntArray position = IntArray.of(pos);

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
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("attend", () -> Attention.attendOneQuery(ctx, query, keyCache, valueCache, scores, out, position,
                heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(groups * local, local)));
        JvmRun.assertClose(expected, out, 2e-6, "out");
    }
}
