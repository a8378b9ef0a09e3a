package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

class RopeAndEmbeddingTest {

    /** Rotates pair (i, j) of each head by pos * frequency(k) for pair index k, in double. */
    private static double[] rotated(FloatArray x, int heads, int headDim, int pos, double[] frequency, boolean interleaved) {
        double[] out = new double[heads * headDim];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < half; k++) {
                int a = h * headDim + (interleaved ? 2 * k : k);
                int b = interleaved ? a + 1 : a + half;
                double angle = pos * frequency[k];
                out[a] = x.get(a) * Math.cos(angle) - x.get(b) * Math.sin(angle);
                out[b] = x.get(a) * Math.sin(angle) + x.get(b) * Math.cos(angle);
            }
        }
        return out;
    }

    private static double[] frequencies(int headDim, double theta) {
        double[] f = new double[headDim / 2];
        for (int k = 0; k < f.length; k++) {
            f[k] = 1 / Math.pow(theta, 2.0 * k / headDim);
        }
        return f;
    }

    @ParameterizedTest(name = "heads={0} headDim={1} pos={2}")
    @CsvSource({"1, 2, 0", "1, 2, 1", "6, 64, 17", "4, 128, 4000"})
    void interleavedPairsRotateByPositionTimesFrequency(int heads, int headDim, int pos) {
        RandomArrays r = new RandomArrays(pos + 31L * headDim);
        FloatArray x = r.floats(heads * headDim);
        float theta = 10000f;
        double[] expected = rotated(x, heads, headDim, pos, frequencies(headDim, theta), true);
        IntArray position = IntArray.of(pos);
        JvmRun.execute(Task.of("rope", () -> Rope.rotateInterleavedPairs(x, position, heads, headDim, theta)));
        JvmRun.assertClose(expected, x, 3e-7, "x");
    }

    @ParameterizedTest(name = "heads={0} headDim={1} pos={2}")
    @CsvSource({"1, 2, 3", "6, 64, 17", "4, 128, 4000"})
    void splitHalvesRotateByPositionTimesFrequency(int heads, int headDim, int pos) {
        RandomArrays r = new RandomArrays(pos + 37L * headDim);
        FloatArray x = r.floats(heads * headDim);
        float theta = 1000000f;
        double[] expected = rotated(x, heads, headDim, pos, frequencies(headDim, theta), false);
        IntArray position = IntArray.of(pos);
        JvmRun.execute(Task.of("rope", () -> Rope.rotateSplitHalves(x, position, heads, headDim, theta)));
        JvmRun.assertClose(expected, x, 3e-7, "x");
    }

    @Test
    void explicitFrequenciesRotateByPositionTimesFrequency() {
        int heads = 3;
        int headDim = 16;
        RandomArrays r = new RandomArrays(9);
        FloatArray x = r.floats(heads * headDim);
        FloatArray inverse = new FloatArray(headDim / 2);
        double[] f = new double[headDim / 2];
        for (int k = 0; k < f.length; k++) {
            inverse.set(k, (float) (0.9 / (k + 1)));
            f[k] = inverse.get(k);
        }
        int pos = 123;
        for (int k = 0; k < f.length; k++) {
            // the kernel forms the angle as the fp32 product pos * f, like PyTorch; fold that rounding into f
            f[k] = (float) (pos * inverse.get(k)) / (double) pos;
        }
        double[] expected = rotated(x, heads, headDim, pos, f, true);
        IntArray position = IntArray.of(pos);
        JvmRun.execute(Task.of("rope", () -> Rope.rotateInterleavedPairsByFrequencies(x, position, inverse, heads, headDim)));
        JvmRun.assertClose(expected, x, 3e-7, "x");
    }

    @ParameterizedTest(name = "heads={0} kvHeads={1} headDim={2} pos={3}")
    @CsvSource({"1, 1, 2, 5", "8, 2, 64, 77", "4, 1, 16, 3000"})
    void queryAndKeyRotateTogetherAsSeparateLaunchesWould(int heads, int kvHeads, int headDim, int pos) {
        RandomArrays r = new RandomArrays(heads + pos);
        FloatArray query = r.floats(heads * headDim);
        FloatArray key = r.floats(kvHeads * headDim);
        FloatArray queryAlone = FloatArray.of(query.toHeapArray());
        FloatArray keyAlone = FloatArray.of(key.toHeapArray());
        FloatArray inverse = new FloatArray(headDim / 2);
        for (int k = 0; k < headDim / 2; k++) {
            inverse.set(k, (float) Math.pow(500000.0, -2.0 * k / headDim));
        }
        IntArray position = IntArray.of(pos);
        JvmRun.execute(
                Task.of("qk", () -> Rope.rotateQueryAndKeyByFrequencies(query, key, position, inverse, heads, kvHeads, headDim)),
                Task.of("q", () -> Rope.rotateInterleavedPairsByFrequencies(queryAlone, position, inverse, heads, headDim)),
                Task.of("k", () -> Rope.rotateInterleavedPairsByFrequencies(keyAlone, position, inverse, kvHeads, headDim)));
        assertEquals(java.util.Arrays.toString(queryAlone.toHeapArray()), java.util.Arrays.toString(query.toHeapArray()));
        assertEquals(java.util.Arrays.toString(keyAlone.toHeapArray()), java.util.Arrays.toString(key.toHeapArray()));
    }

    @Test
    void positionIsReadWhenTheGraphRunsNotWhenItIsDeclared() {
        int heads = 1;
        int headDim = 4;
        FloatArray x = FloatArray.of(1f, 0f, 1f, 0f);
        IntArray position = IntArray.of(0);
        float theta = 10000f;
        Task rope = Task.of("rope", () -> Rope.rotateInterleavedPairs(x, position, heads, headDim, theta));
        position.set(0, 1); // changes after the task was declared
        JvmRun.execute(rope);
        assertEquals(Math.cos(1), x.get(0), 1e-7);
        assertEquals(Math.sin(1), x.get(1), 1e-7);
        assertEquals(Math.cos(0.01), x.get(2), 1e-7);
    }

    @ParameterizedTest(name = "vocab={0} dim={1} token={2}")
    @CsvSource({"1, 32, 0", "50, 96, 0", "50, 96, 49", "7, 320, 3"})
    void embeddingRowsAreCopiedExactly(int vocab, int dim, int tokenId) {
        RandomArrays r = new RandomArrays(vocab * dim);
        FloatArray f32 = r.floats(vocab * dim);
        HalfArray f16 = r.halves(vocab * dim);
        ByteArray q8 = QuantizedInputs.randomQ8_0(r, vocab, dim);
        IntArray token = IntArray.of(tokenId);
        FloatArray a = new FloatArray(dim);
        FloatArray b = new FloatArray(dim);
        FloatArray c = new FloatArray(dim);
        JvmRun.execute(
                Task.of("f32", () -> Embedding.copyRowF32(f32, token, a, dim)),
                Task.of("f16", () -> Embedding.copyRowF16(f16, token, b, dim)),
                Task.of("q8", () -> Embedding.copyRowQ8_0(q8, token, c, dim)));
        for (int i = 0; i < dim; i++) {
            long at = (long) tokenId * dim + i;
            assertEquals(f32.get(at), a.get(i), 0f);
            assertEquals(f16.get(at), b.get(i), 0f);
            assertEquals(JvmRun.q8_0(q8, tokenId, i, dim), c.get(i), 0.0);
        }
    }
}
