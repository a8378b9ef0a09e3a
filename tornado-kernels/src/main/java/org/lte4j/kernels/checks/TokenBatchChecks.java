package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.lang.foreign.Arena;
import java.util.List;

import org.lte4j.kernels.BatchAttention;
import org.lte4j.kernels.BatchMatMul;
import org.lte4j.kernels.Q8_0Split;
import org.lte4j.kernels.TokenBatch;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The prompt-batch kernels ({@link BatchMatMul}, {@link TokenBatch}, {@link BatchAttention}).
 * Batches are partial ({@code span[1]} below the capacity) and outputs start random, so a kernel
 * that touches a skipped token's row fails; the batch capacity is specialised as prefill does.
 */
final class TokenBatchChecks {
    private static final int ROWS = 37;
    private static final int LOCAL = 64;
    private static final int BATCH = 5;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 48;
    private static final int CONTEXT = 40;

    private TokenBatchChecks() {
    }

    /** First position 20, three of five tokens valid. */
    private static IntArray span() {
        return IntArray.of(20, 3);
    }

    static List<KernelCheck> all() {
        return List.of(
                // four rows per item, specialised as prefill runs them: 37 rows end in a partial block; 3 groups
                // of two sets loop over ten blocks
                Check.of(BatchMatMul.class, "matMulF32FourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 300; // not a multiple of the lanes
                    int batch = BATCH;
                    FloatArray w = r.floats(rows * cols);
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("matMulF32FourRows", () -> BatchMatMul.matMulF32FourRows(ctx, w, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(3 * LOCAL, LOCAL)).specialising(4, 5, 6);
                    return prepared(t, 1e-5, List.of(w, x), y);
                }),
                Check.of(BatchMatMul.class, "matMulF16PairsFourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 1002;
                    int batch = BATCH;
                    IntArray w = MatVecChecks.packedHalves(r, rows, cols);
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("matMulF16PairsFourRows", () -> BatchMatMul.matMulF16PairsFourRows(ctx, w, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(3 * LOCAL, LOCAL)).specialising(4, 5, 6);
                    return prepared(t, 1e-5, List.of(w, x), y);
                }),
                Check.of(BatchMatMul.class, "matMulQ8_0SplitWordsFourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 352;
                    int batch = BATCH;
                    Q8_0Split w;
                    try (ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols)) {
                        w = Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
                    }
                    IntArray quants = w.quants();
                    HalfArray scales = w.scales();
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("matMulQ8_0SplitWordsFourRows",
                            () -> BatchMatMul.matMulQ8_0SplitWordsFourRows(ctx, quants, scales, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(3 * LOCAL, LOCAL)).specialising(7);
                    return prepared(t, 1e-5, List.of(quants, scales, x), y);
                }),
                // the CPU forms: an item per row, fewer items than rows (the loop covers the rest)
                Check.of(BatchMatMul.class, "matMulF32RowPerItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 301; // not a multiple of the eight accumulators
                    int batch = BATCH;
                    FloatArray w = r.floats(rows * cols);
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    Task t = Task.of("matMulF32RowPerItem", () -> BatchMatMul.matMulF32RowPerItem(w, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(16, 16));
                    return prepared(t, 1e-5, List.of(w, x), y);
                }),
                Check.of(BatchMatMul.class, "matMulF16PairsRowPerItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 1002; // 501 words: not a multiple of the four accumulators
                    int batch = BATCH;
                    IntArray w = MatVecChecks.packedHalves(r, rows, cols);
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    Task t = Task.of("matMulF16PairsRowPerItem", () -> BatchMatMul.matMulF16PairsRowPerItem(w, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(16, 16));
                    return prepared(t, 1e-5, List.of(w, x), y);
                }),
                Check.of(BatchMatMul.class, "matMulQ8_0RowPerItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 352;
                    int batch = BATCH;
                    ByteArray w = QuantizedInputs.randomQ8_0(r, rows, cols);
                    FloatArray x = r.floats(batch * cols);
                    FloatArray y = new FloatArray(batch * rows);
                    Task t = Task.of("matMulQ8_0RowPerItem", () -> BatchMatMul.matMulQ8_0RowPerItem(w, x, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(16, 16));
                    return prepared(t, 1e-5, List.of(w, x), y);
                }),
                Check.of(TokenBatch.class, "copyRowsF32", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 96;
                    int batch = BATCH;
                    FloatArray table = r.floats(50 * dim);
                    IntArray tokens = r.ints(batch, 50);
                    IntArray span = span();
                    FloatArray out = r.floats(batch * dim);
                    return prepared(Task.of("copyRowsF32", () -> TokenBatch.copyRowsF32(table, tokens, span, out, dim, batch))
                            .withGrid(WorkerGrid.covering(batch * dim, LOCAL, 65536)), 0, List.of(table, tokens, span), out);
                }),
                Check.of(TokenBatch.class, "copyRowsF16", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 96;
                    int batch = BATCH;
                    HalfArray table = r.halves(50 * dim);
                    IntArray tokens = r.ints(batch, 50);
                    IntArray span = span();
                    FloatArray out = r.floats(batch * dim);
                    return prepared(Task.of("copyRowsF16", () -> TokenBatch.copyRowsF16(table, tokens, span, out, dim, batch))
                            .withGrid(WorkerGrid.covering(batch * dim, LOCAL, 65536)), 0, List.of(table, tokens, span), out);
                }),
                Check.of(TokenBatch.class, "copyRowsQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 96;
                    int batch = BATCH;
                    ByteArray table = QuantizedInputs.randomQ8_0(r, 50, dim);
                    IntArray tokens = r.ints(batch, 50);
                    IntArray span = span();
                    FloatArray out = r.floats(batch * dim);
                    return prepared(Task.of("copyRowsQ8_0", () -> TokenBatch.copyRowsQ8_0(table, tokens, span, out, dim, batch))
                            .withGrid(WorkerGrid.covering(batch * dim, LOCAL, 65536)), 0, List.of(table, tokens, span), out);
                }),
                Check.of(TokenBatch.class, "rmsNormEach", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    float eps = 1e-5f;
                    FloatArray x = r.floats(BATCH * n);
                    FloatArray weight = r.floats(n);
                    FloatArray out = r.floats(BATCH * n);
                    IntArray span = span();
                    KernelContext ctx = new KernelContext();
                    // two groups for three tokens: group 0 loops
                    Task t = Task.of("rmsNormEach", () -> TokenBatch.rmsNormEach(ctx, x, weight, out, span, n, eps))
                            .withGrid(WorkerGrid.of(2 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(x, weight, span), out);
                }),
                Check.of(TokenBatch.class, "rotateQueriesAndKeysByFrequencies", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = 64;
                    int batch = BATCH;
                    FloatArray queries = r.floats(batch * heads * headDim);
                    FloatArray keys = r.floats(batch * kvHeads * headDim);
                    FloatArray frequencies = new FloatArray(headDim / 2);
                    for (int i = 0; i < headDim / 2; i++) {
                        frequencies.set(i, (float) Math.pow(10000.0, -2.0 * i / headDim));
                    }
                    IntArray span = IntArray.of(r.nextInt(200), 3);
                    // the device may evaluate sin/cos in float: angle error ~ pos * 1e-7
                    return prepared(Task.of("rotateQueriesAndKeysByFrequencies", () -> TokenBatch.rotateQueriesAndKeysByFrequencies(
                                    queries, keys, span, frequencies, heads, kvHeads, headDim, batch))
                                    .withGrid(WorkerGrid.covering(batch * (heads + kvHeads) * headDim / 2, LOCAL, 65536)),
                            1e-4, List.of(queries, keys, span, frequencies), queries, keys);
                }),
                Check.of(TokenBatch.class, "addToEachToken", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 96;
                    int batch = BATCH;
                    FloatArray x = r.floats(batch * n);
                    FloatArray bias = r.floats(n);
                    return prepared(Task.of("addToEachToken", () -> TokenBatch.addToEachToken(x, bias, n, batch))
                            .withGrid(WorkerGrid.covering(batch * n, LOCAL, 65536)), 0, List.of(x, bias), x);
                }),
                Check.of(TokenBatch.class, "copyLastToken", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 96;
                    FloatArray rows = r.floats(BATCH * n);
                    IntArray span = span();
                    FloatArray out = new FloatArray(n);
                    return prepared(Task.of("copyLastToken", () -> TokenBatch.copyLastToken(rows, span, out, n))
                            .withGrid(WorkerGrid.covering(n, LOCAL, 65536)), 0, List.of(rows, span), out);
                }),
                // experts of 8 neurons; logits around 0 against a threshold logit of 0: about half pass
                Check.of(TokenBatch.class, "siluGateTimesUpOfActiveExperts", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 96;
                    int expertSize = 8;
                    int batch = BATCH;
                    FloatArray gate = r.floats(batch * hidden);
                    FloatArray up = r.floats(batch * hidden);
                    FloatArray logits = r.floats(batch * hidden / expertSize);
                    FloatArray out = r.floats(batch * hidden);
                    return prepared(Task.of("siluGateTimesUpOfActiveExperts",
                                    () -> TokenBatch.siluGateTimesUpOfActiveExperts(gate, up, logits, out, 0f, hidden, expertSize, batch))
                            .withGrid(WorkerGrid.covering(batch * hidden, LOCAL, 65536)), 1e-6, List.of(gate, up, logits), out);
                }),
                Check.of(TokenBatch.class, "countActiveExpertsOfLastToken", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int experts = 40;
                    FloatArray logits = r.floats(BATCH * experts);
                    IntArray span = span();
                    IntArray count = IntArray.of(-1);
                    return prepared(Task.of("countActiveExpertsOfLastToken",
                                    () -> TokenBatch.countActiveExpertsOfLastToken(logits, span, count, 0f, experts))
                            .withGrid(WorkerGrid.of(1, 1)), 0, List.of(logits, span), count);
                }),
                Check.of(BatchAttention.class, "storeKeysValues", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int kvDim = KV_HEADS * HEAD_DIM;
                    int batch = BATCH;
                    FloatArray keys = r.floats(batch * kvDim);
                    FloatArray values = r.floats(batch * kvDim);
                    FloatArray keyCache = r.floats(CONTEXT * kvDim);
                    FloatArray valueCache = r.floats(CONTEXT * kvDim);
                    IntArray span = span();
                    return prepared(Task.of("storeKeysValues", () -> BatchAttention.storeKeysValues(keys, values, keyCache, valueCache, span, kvDim, batch))
                                    .withGrid(WorkerGrid.covering(batch * kvDim, LOCAL, 65536)),
                            0, List.of(keys, values, keyCache, valueCache, span), keyCache, valueCache);
                }),
                Check.of(BatchAttention.class, "attendCausal", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = CONTEXT;
                    int batch = BATCH;
                    FloatArray queries = r.floats(batch * heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(batch * heads * context);
                    FloatArray out = r.floats(batch * heads * headDim);
                    IntArray span = span();
                    KernelContext ctx = new KernelContext();
                    // 16 groups for 24 (token, head) pairs: groups loop
                    Task t = Task.of("attendCausal", () -> BatchAttention.attendCausal(ctx, queries, keyCache, valueCache, scores, out, span,
                            heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(16 * 16, 16));
                    // scores are dot products of 48 terms below 1 (error ~1e-6); outputs are convex combinations of values in [-1, 1]
                    return prepared(t, 1e-5, List.of(queries, keyCache, valueCache, span), out);
                }),
                Check.of(BatchAttention.class, "attendCausalItemPerHead", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = CONTEXT;
                    int batch = BATCH;
                    FloatArray queries = r.floats(batch * heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(batch * heads * context);
                    FloatArray out = r.floats(batch * heads * headDim);
                    IntArray span = span();
                    Task t = Task.of("attendCausalItemPerHead", () -> BatchAttention.attendCausalItemPerHead(queries, keyCache, valueCache,
                            scores, out, span, heads, kvHeads, headDim, context, batch)).withGrid(WorkerGrid.of(batch * heads, 1));
                    // the pairs of tokens past span[1] leave their rows of out as they were
                    return prepared(t, 1e-5, List.of(queries, keyCache, valueCache, span, out), out);
                }));
    }
}
