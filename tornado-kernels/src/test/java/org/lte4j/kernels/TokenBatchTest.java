package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The prompt-batch kernels on the JVM backend: matmuls against scalar sums in double, the
 * per-token kernels against their decode counterparts run once per token (position start + b),
 * and tokens past {@code span[1]} left untouched.
 */
class TokenBatchTest {

    private interface Element {
        double at(int r, int c);
    }

    /** Y[b][r] against sum_c W[r][c] X[b][c] in double, per-element fp32 rounding allowance. */
    private static void checkMatMul(Element w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        double[] expected = new double[batch * rows];
        double[] tolerance = new double[batch * rows];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double abs = 0;
                for (int c = 0; c < cols; c++) {
                    double term = w.at(r, c) * x.get((long) b * cols + c);
                    expected[b * rows + r] += term;
                    abs += Math.abs(term);
                }
                tolerance[b * rows + r] = JvmRun.sumTolerance(abs);
            }
        }
        JvmRun.assertClose(expected, y, tolerance, "y");
    }

    // groups: as many as the rows need, or fewer (they loop over four-row blocks); local 64 and 256: several sets of 32 lanes
    @ParameterizedTest(name = "rows={0} cols={1} batch={2} local={3} groups={4}")
    @CsvSource({"1, 1, 1, 4, 1", "37, 300, 5, 16, 10", "37, 96, 32, 8, 3", "8, 1024, 16, 64, 1", "3, 40, 2, 256, 1", "70, 64, 3, 64, 2"})
    void matMulF32FourRows(int rows, int cols, int batch, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        FloatArray w = r.floats(rows * cols);
        FloatArray x = r.floats(batch * cols);
        FloatArray y = new FloatArray(batch * rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("mm", () -> BatchMatMul.matMulF32FourRows(ctx, w, x, y, rows, cols, batch))
                .withGrid(WorkerGrid.of(groups * local, local)));
        checkMatMul((i, c) -> w.get((long) i * cols + c), x, y, rows, cols, batch);
    }

    @ParameterizedTest(name = "rows={0} cols={1} batch={2} local={3} groups={4}")
    @CsvSource({"1, 2, 1, 4, 1", "37, 1002, 5, 16, 10", "37, 96, 32, 8, 3", "8, 1024, 16, 64, 1", "70, 66, 3, 64, 2"})
    void matMulF16PairsFourRows(int rows, int cols, int batch, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        HalfArray h = r.halves(rows * cols);
        IntArray w = new IntArray(rows * cols / 2);
        MemorySegment.copy(h.segment(), 0, w.segment(), 0, h.byteSize());
        FloatArray x = r.floats(batch * cols);
        FloatArray y = new FloatArray(batch * rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("mm", () -> BatchMatMul.matMulF16PairsFourRows(ctx, w, x, y, rows, cols, batch))
                .withGrid(WorkerGrid.of(groups * local, local)));
        checkMatMul((i, c) -> h.get((long) i * cols + c), x, y, rows, cols, batch);
    }

    @ParameterizedTest(name = "rows={0} cols={1} batch={2} local={3} groups={4}")
    @CsvSource({"1, 32, 1, 4, 1", "37, 352, 5, 16, 10", "37, 96, 32, 8, 3", "8, 1024, 16, 64, 1", "70, 64, 3, 64, 2"})
    void matMulQ8_0SplitWordsFourRows(int rows, int cols, int batch, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols);
        Q8_0Split split = Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
        IntArray quants = split.quants();
        HalfArray scales = split.scales();
        FloatArray x = r.floats(batch * cols);
        FloatArray y = new FloatArray(batch * rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("mm", () -> BatchMatMul.matMulQ8_0SplitWordsFourRows(ctx, quants, scales, x, y, rows, cols, batch))
                .withGrid(WorkerGrid.of(groups * local, local)));
        checkMatMul((i, c) -> JvmRun.q8_0(blocks, i, c, cols), x, y, rows, cols, batch);
    }

    /** Each token of a full batch equals the decode GEMV of that token (up to the sum order). */
    @Test
    void matMulF16PairsFourRowsMatchesTheDecodeGemvPerToken() {
        int rows = 12;
        int cols = 256;
        int batch = 16;
        int local = 16;
        RandomArrays r = new RandomArrays(3);
        HalfArray h = r.halves(rows * cols);
        IntArray w = new IntArray(rows * cols / 2);
        MemorySegment.copy(h.segment(), 0, w.segment(), 0, h.byteSize());
        FloatArray x = r.floats(batch * cols);
        FloatArray y = new FloatArray(batch * rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("mm", () -> BatchMatMul.matMulF16PairsFourRows(ctx, w, x, y, rows, cols, batch))
                .withGrid(WorkerGrid.of(BatchMatMul.fourRowGroups(rows, local) * local, local)));
        for (int b = 0; b < batch; b++) {
            FloatArray xb = new FloatArray(cols);
            MemorySegment.copy(x.segment(), 4L * b * cols, xb.segment(), 0, 4L * cols);
            FloatArray yb = new FloatArray(rows);
            KernelContext c2 = new KernelContext();
            JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF16PairsFourRows(c2, w, xb, yb, rows, cols))
                    .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
            for (int i = 0; i < rows; i++) {
                assertEquals(yb.get(i), y.get(b * rows + i), 1e-5, "token " + b + " row " + i);
            }
        }
    }

    /** Neurons of experts at or below the threshold's logit are 0; the others silu(gate) * up, computed here in double. */
    @Test
    void siluGateTimesUpZeroesTheNeuronsOfExpertsTheRouterSkips() {
        int hidden = 12;
        int expertSize = 4;
        int batch = 2;
        RandomArrays r = new RandomArrays(8);
        FloatArray gate = r.floats(batch * hidden);
        FloatArray up = r.floats(batch * hidden);
        // token 0: experts 0 and 2 pass; token 1: none (a logit equal to the threshold's does not pass)
        FloatArray logits = FloatArray.of(0.5f, -0.2f, 0.3f, -1f, 0.1f, 0.1f);
        FloatArray out = r.floats(batch * hidden);
        float minLogit = 0.1f;
        JvmRun.execute(Task.of("swiglu", () -> TokenBatch.siluGateTimesUpOfActiveExperts(gate, up, logits, out, minLogit, hidden, expertSize, batch))
                .withGrid(WorkerGrid.of(8, 4)));
        boolean[][] active = {{true, false, true}, {false, false, false}};
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < hidden; i++) {
                int p = b * hidden + i;
                double g = gate.get(p);
                double expected = active[b][i / expertSize] ? g / (1 + Math.exp(-g)) * up.get(p) : 0;
                assertEquals(expected, out.get(p), 1e-6, "token " + b + " neuron " + i);
            }
        }
    }

    @Test
    void countActiveExpertsOfLastTokenCountsTheLastValidToken() {
        FloatArray logits = FloatArray.of(1f, 1f, 1f, /* token 1 */ 0.5f, -0.5f, 0.25f, /* token 2, not valid */ 1f, 1f, 1f);
        IntArray span = IntArray.of(7, 2);
        IntArray count = IntArray.of(-1);
        JvmRun.execute(Task.of("count", () -> TokenBatch.countActiveExpertsOfLastToken(logits, span, count, 0.25f, 3)).withGrid(WorkerGrid.of(1, 1)));
        assertEquals(1, count.get(0));
    }

    @Test
    void copyRowsCopiesValidTokensOnly() {
        int dim = 64;
        int vocab = 20;
        int batch = 4;
        RandomArrays r = new RandomArrays(5);
        FloatArray f32 = r.floats(vocab * dim);
        HalfArray f16 = r.halves(vocab * dim);
        ByteArray q8 = QuantizedInputs.randomQ8_0(r, vocab, dim);
        IntArray tokens = IntArray.of(7, 0, 19, 3);
        IntArray span = IntArray.of(11, 3);
        FloatArray[] outs = {new FloatArray(batch * dim), new FloatArray(batch * dim), new FloatArray(batch * dim)};
        for (FloatArray o : outs) {
            for (int i = 0; i < batch * dim; i++) {
                o.set(i, -7f);
            }
        }
        FloatArray out32 = outs[0];
        FloatArray out16 = outs[1];
        FloatArray out8 = outs[2];
        JvmRun.execute(Task.of("f32", () -> TokenBatch.copyRowsF32(f32, tokens, span, out32, dim, batch)).withGrid(WorkerGrid.of(64, 16)),
                Task.of("f16", () -> TokenBatch.copyRowsF16(f16, tokens, span, out16, dim, batch)).withGrid(WorkerGrid.of(64, 16)),
                Task.of("q8", () -> TokenBatch.copyRowsQ8_0(q8, tokens, span, out8, dim, batch)).withGrid(WorkerGrid.of(64, 16)));
        for (int b = 0; b < batch; b++) {
            int t = tokens.get(b);
            for (int i = 0; i < dim; i++) {
                boolean valid = b < 3;
                int at = b * dim + i;
                assertEquals(valid ? f32.get(t * dim + i) : -7f, outs[0].get(at), 0f, "f32 " + at);
                assertEquals(valid ? h(f16, t * dim + i) : -7f, outs[1].get(at), 0f, "f16 " + at);
                assertEquals(valid ? (float) JvmRun.q8_0(q8, t, i, dim) : -7f, outs[2].get(at), 0f, "q8 " + at);
            }
        }
    }

    private static float h(HalfArray a, int i) {
        return a.get(i);
    }

    @ParameterizedTest(name = "n={0} local={1} groups={2} valid={3}")
    @CsvSource({"1000, 16, 5, 5", "96, 4, 2, 3", "7, 32, 1, 1"})
    void rmsNormEachMatchesScalarPerToken(int n, int local, int groups, int valid) {
        int batch = 5;
        float eps = 1e-5f;
        RandomArrays r = new RandomArrays(n);
        FloatArray x = r.floats(batch * n);
        FloatArray weight = r.floats(n);
        FloatArray out = new FloatArray(batch * n);
        IntArray span = IntArray.of(0, valid);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("norm", () -> TokenBatch.rmsNormEach(ctx, x, weight, out, span, n, eps)).withGrid(WorkerGrid.of(groups * local, local)));
        double[] expected = new double[batch * n];
        for (int b = 0; b < valid; b++) {
            double squares = 0;
            for (int i = 0; i < n; i++) {
                squares += (double) x.get(b * n + i) * x.get(b * n + i);
            }
            double scale = 1 / Math.sqrt(squares / n + eps);
            for (int i = 0; i < n; i++) {
                expected[b * n + i] = x.get(b * n + i) * scale * weight.get(i);
            }
        }
        JvmRun.assertClose(expected, out, 1e-5, "out");
    }

    /** Bit-equal to Rope.rotateQueryAndKeyByFrequencies at position start + b for the valid tokens; the rest untouched. */
    @Test
    void ropeRotatesEachTokenAtItsPosition() {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 16;
        int batch = 6;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        RandomArrays r = new RandomArrays(9);
        FloatArray queries = r.floats(batch * qDim);
        FloatArray keys = r.floats(batch * kvDim);
        FloatArray frequencies = new FloatArray(headDim / 2);
        for (int i = 0; i < headDim / 2; i++) {
            frequencies.set(i, (float) Math.pow(500000.0, -2.0 * i / headDim));
        }
        float[] q0 = queries.toHeapArray();
        float[] k0 = keys.toHeapArray();
        IntArray span = IntArray.of(37, 4);
        JvmRun.execute(Task.of("rope", () -> TokenBatch.rotateQueriesAndKeysByFrequencies(queries, keys, span, frequencies, heads, kvHeads, headDim, batch))
                .withGrid(WorkerGrid.of(64, 8)));
        for (int b = 0; b < batch; b++) {
            FloatArray q = FloatArray.of(java.util.Arrays.copyOfRange(q0, b * qDim, (b + 1) * qDim));
            FloatArray k = FloatArray.of(java.util.Arrays.copyOfRange(k0, b * kvDim, (b + 1) * kvDim));
            if (b < 4) {
                IntArray position = IntArray.of(37 + b);
                JvmRun.execute(Task.of("rope1", () -> Rope.rotateQueryAndKeyByFrequencies(q, k, position, frequencies, heads, kvHeads, headDim)));
            }
            for (int i = 0; i < qDim; i++) {
                assertEquals(q.get(i), queries.get(b * qDim + i), 0f, "query of token " + b + " [" + i + "]");
            }
            for (int i = 0; i < kvDim; i++) {
                assertEquals(k.get(i), keys.get(b * kvDim + i), 0f, "key of token " + b + " [" + i + "]");
            }
        }
    }

    @Test
    void storeKeysValuesWritesRowsStartToStartPlusCount() {
        int kvDim = 6;
        int context = 10;
        int batch = 4;
        RandomArrays r = new RandomArrays(1);
        FloatArray keys = r.floats(batch * kvDim);
        FloatArray values = r.floats(batch * kvDim);
        FloatArray keyCache = new FloatArray(context * kvDim);
        FloatArray valueCache = new FloatArray(context * kvDim);
        IntArray span = IntArray.of(5, 3);
        JvmRun.execute(Task.of("store", () -> BatchAttention.storeKeysValues(keys, values, keyCache, valueCache, span, kvDim, batch))
                .withGrid(WorkerGrid.of(32, 8)));
        for (int p = 0; p < context; p++) {
            for (int i = 0; i < kvDim; i++) {
                boolean written = p >= 5 && p < 8;
                assertEquals(written ? keys.get((p - 5) * kvDim + i) : 0f, keyCache.get(p * kvDim + i), 0f);
                assertEquals(written ? values.get((p - 5) * kvDim + i) : 0f, valueCache.get(p * kvDim + i), 0f);
            }
        }
    }

    /** Token b of the batch against the decode kernel attendOneQuery at position start + b. */
    @ParameterizedTest(name = "heads={0} kvHeads={1} headDim={2} start={3} valid={4} local={5} groups={6}")
    @CsvSource({"1, 1, 4, 0, 1, 4, 1", "8, 2, 48, 20, 5, 16, 40", "4, 4, 32, 0, 7, 8, 5", "6, 3, 16, 30, 3, 32, 2"})
    void attendCausalMatchesDecodeAttentionPerToken(int heads, int kvHeads, int headDim, int start, int valid, int local, int groups) {
        int batch = 8;
        int context = 40;
        int kvDim = kvHeads * headDim;
        int qDim = heads * headDim;
        RandomArrays r = new RandomArrays(heads * 31L + start);
        FloatArray queries = r.floats(batch * qDim);
        FloatArray keyCache = r.floats(context * kvDim);
        FloatArray valueCache = r.floats(context * kvDim);
        FloatArray scores = new FloatArray(batch * heads * context);
        FloatArray out = new FloatArray(batch * qDim);
        IntArray span = IntArray.of(start, valid);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("attend", () -> BatchAttention.attendCausal(ctx, queries, keyCache, valueCache, scores, out, span,
                heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(groups * local, local)));
        for (int b = 0; b < batch; b++) {
            FloatArray q = new FloatArray(qDim);
            MemorySegment.copy(queries.segment(), 4L * b * qDim, q.segment(), 0, 4L * qDim);
            FloatArray expected = new FloatArray(qDim);
            if (b < valid) {
                FloatArray s = new FloatArray(heads * context);
                IntArray position = IntArray.of(start + b);
                KernelContext c2 = new KernelContext();
                JvmRun.execute(Task.of("one", () -> Attention.attendOneQuery(c2, q, keyCache, valueCache, s, expected, position,
                        heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * local, local)));
            }
            for (int i = 0; i < qDim; i++) {
                // same per-item order as attendOneQuery; only the tree of the softmax sum may differ with the grid
                assertEquals(expected.get(i), out.get(b * qDim + i), 2e-6, "token " + b + " [" + i + "]");
            }
        }
    }

    /**
     * The item-per-head batch kernel: token b of the batch equals the item-per-head decode kernel
     * at position start + b bit for bit (the same per-item arithmetic), and the rows of tokens
     * past the valid ones stay untouched.
     */
    @ParameterizedTest(name = "heads={0} kvHeads={1} headDim={2} start={3} valid={4}")
    @CsvSource({"1, 1, 4, 0, 1", "8, 2, 48, 20, 5", "4, 4, 32, 0, 7", "6, 3, 20, 30, 3"})
    void attendCausalItemPerHeadIsDecodeAttentionPerToken(int heads, int kvHeads, int headDim, int start, int valid) {
        int batch = 8;
        int context = 40;
        int kvDim = kvHeads * headDim;
        int qDim = heads * headDim;
        RandomArrays r = new RandomArrays(heads * 37L + start);
        FloatArray queries = r.floats(batch * qDim);
        FloatArray keyCache = r.floats(context * kvDim);
        FloatArray valueCache = r.floats(context * kvDim);
        FloatArray scores = new FloatArray(batch * heads * context);
        float untouched = 7.25f;
        FloatArray out = new FloatArray(batch * qDim);
        out.fill(untouched);
        IntArray span = IntArray.of(start, valid);
        JvmRun.execute(Task.of("attend", () -> BatchAttention.attendCausalItemPerHead(queries, keyCache, valueCache, scores, out, span,
                heads, kvHeads, headDim, context, batch)).withGrid(WorkerGrid.of(batch * heads, 1)));
        for (int b = 0; b < batch; b++) {
            FloatArray q = new FloatArray(qDim);
            MemorySegment.copy(queries.segment(), 4L * b * qDim, q.segment(), 0, 4L * qDim);
            FloatArray expected = new FloatArray(qDim);
            expected.fill(untouched);
            if (b < valid) {
                FloatArray s = new FloatArray(heads * context);
                IntArray position = IntArray.of(start + b);
                JvmRun.execute(Task.of("one", () -> Attention.attendOneQueryItemPerHead(q, keyCache, valueCache, s, expected, position,
                        heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads, 1)));
            }
            for (int i = 0; i < qDim; i++) {
                assertEquals(Float.floatToIntBits(expected.get(i)), Float.floatToIntBits(out.get(b * qDim + i)), "token " + b + " [" + i + "]");
            }
        }
    }

    @Test
    void addToEachTokenAndCopyLastToken() {
        int n = 10;
        int batch = 3;
        RandomArrays r = new RandomArrays(2);
        FloatArray x = r.floats(batch * n);
        float[] before = x.toHeapArray();
        FloatArray bias = r.floats(n);
        FloatArray last = new FloatArray(n);
        IntArray span = IntArray.of(4, 2);
        JvmRun.execute(Task.of("bias", () -> TokenBatch.addToEachToken(x, bias, n, batch)).withGrid(WorkerGrid.of(32, 8)),
                Task.of("last", () -> TokenBatch.copyLastToken(x, span, last, n)).withGrid(WorkerGrid.of(8, 8)));
        for (int i = 0; i < batch * n; i++) {
            assertEquals(before[i] + bias.get(i % n), x.get(i), 0f, "x[" + i + "]");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(x.get(n + i), last.get(i), 0f, "last[" + i + "]");
        }
    }
}
