package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.lte4j.kernels.MatVec;
import org.lte4j.kernels.Q8_0Split;
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
 * GEMVs with a column count that is not a multiple of the work-group size. Tolerance: fp32
 * sums of a few hundred terms in a different order stay within 1e-5 of the row's sum of
 * |terms| (weights are exact in every format, so order is the only difference).
 */
final class MatVecChecks {
    private static final int ROWS = 37;
    private static final int LOCAL = 64;

    private MatVecChecks() {
    }

    /** Random fp16 weights, stored as the 32-bit words gemvF16Pairs reads (two halves per word). */
    static IntArray packedHalves(RandomArrays r, int rows, int cols) {
        try (HalfArray h = r.halves(rows * cols)) {
            IntArray w = new IntArray(rows * cols / 2);
            MemorySegment.copy(h.segment(), 0, w.segment(), 0, h.byteSize());
            return w;
        }
    }

    /** Random GGML Q8_0 blocks split as the word-loading kernels read them. */
    static Q8_0Split randomSplitQ8_0(RandomArrays r, int rows, int cols) {
        try (ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols)) {
            return Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
        }
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(MatVec.class, "gemvF32", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 300;
                    FloatArray w = r.floats(rows * cols);
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvF32", () -> MatVec.gemvF32(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(rows * LOCAL, LOCAL));
                    return prepared(t, 1e-5 * Math.max(1, Weights.of(w, cols).maxAbsRowDot(rows, cols, x)), List.of(w, x), y);
                }),
                Check.of(MatVec.class, "gemvF16", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 300;
                    HalfArray w = r.halves(rows * cols);
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvF16", () -> MatVec.gemvF16(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(rows * LOCAL, LOCAL));
                    return prepared(t, 1e-5 * Math.max(1, Weights.of(w, cols).maxAbsRowDot(rows, cols, x)), List.of(w, x), y);
                }),
                Check.of(MatVec.class, "gemvF16Pairs", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 1002; // 501 words: not a multiple of 4 * LOCAL, so the tail loop runs
                    IntArray w = packedHalves(r, rows, cols);
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvF16Pairs", () -> MatVec.gemvF16Pairs(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(rows * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(w, x), y); // observed ~1e-6: only the summation order differs
                }),
                Check.of(MatVec.class, "gemvF16PairsFourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS; // not a multiple of 4: the last group has one row
                    int cols = 1002;
                    IntArray w = packedHalves(r, rows, cols);
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvF16PairsFourRows", () -> MatVec.gemvF16PairsFourRows(ctx, w, x, y, rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(w, x), y); // observed ~1e-6: only the summation order differs
                }),
                Check.of(MatVec.class, "gemvF16PairsFourRowsAddingInto", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 1002;
                    IntArray w = packedHalves(r, rows, cols);
                    FloatArray x = r.floats(cols);
                    FloatArray acc = r.floats(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvF16PairsFourRowsAddingInto", () -> MatVec.gemvF16PairsFourRowsAddingInto(ctx, w, x, acc, rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(w, x), acc);
                }),
                rowPerItemF32Check("gemvF32RowPerItem"),
                rowPerItemF32Check("gemvF32RowPerItemAddingInto"),
                rowPerItemF16Check("gemvF16PairsRowPerItem"),
                rowPerItemF16Check("gemvF16PairsRowPerItemAddingInto"),
                rowPerItemQ8_0Check("gemvQ8_0RowPerItem"),
                rowPerItemQ8_0Check("gemvQ8_0RowPerItemAddingInto"),
                Check.of(MatVec.class, "gemvQ8_0SplitWordsFourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS; // not a multiple of 4: the last group has one row
                    int cols = 1280; // 320 words: one pass of four words per item, then one of single words
                    Q8_0Split w = randomSplitQ8_0(r, rows, cols);
                    IntArray quants = w.quants();
                    HalfArray scales = w.scales();
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvQ8_0SplitWordsFourRows", () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, x, y, rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(quants, scales, x), y); // only the summation order differs
                }),
                Check.of(MatVec.class, "gemvQ8_0SplitWordsFourRowsAddingInto", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 1280;
                    Q8_0Split w = randomSplitQ8_0(r, rows, cols);
                    IntArray quants = w.quants();
                    HalfArray scales = w.scales();
                    FloatArray x = r.floats(cols);
                    FloatArray acc = r.floats(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvQ8_0SplitWordsFourRowsAddingInto",
                                    () -> MatVec.gemvQ8_0SplitWordsFourRowsAddingInto(ctx, quants, scales, x, acc, rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(quants, scales, x), acc);
                }),
                Check.of(MatVec.class, "gemvQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 352;
                    ByteArray w = QuantizedInputs.randomQ8_0(r, rows, cols);
                    FloatArray x = r.floats(cols);
                    FloatArray y = new FloatArray(rows);
                    KernelContext ctx = new KernelContext();
                    // fewer groups than rows: groups loop over rows
                    Task t = Task.of("gemvQ8_0", () -> MatVec.gemvQ8_0(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(16 * LOCAL, LOCAL));
                    return prepared(t, 1e-5 * Math.max(1, Weights.ofQ8_0(w, cols).maxAbsRowDot(rows, cols, x)), List.of(w, x), y);
                }));
    }

    /**
     * The item-per-row GEMVs of CPU OpenCL, fewer items than rows (the loop covers the rest); the
     * {@code ...AddingInto} forms add into an output that starts random. fp32, 300 columns: not a
     * multiple of the eight accumulators, so the tail loop runs.
     */
    private static KernelCheck rowPerItemF32Check(String kernel) {
        return Check.of(MatVec.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int rows = ROWS;
            int cols = 300;
            FloatArray w = r.floats(rows * cols);
            FloatArray x = r.floats(cols);
            FloatArray y = r.floats(rows);
            Task t = kernel.endsWith("AddingInto")
                    ? Task.of(kernel, () -> MatVec.gemvF32RowPerItemAddingInto(w, x, y, rows, cols))
                    : Task.of(kernel, () -> MatVec.gemvF32RowPerItem(w, x, y, rows, cols));
            return prepared(t.withGrid(WorkerGrid.of(40, 8)), 1e-5 * Math.max(1, Weights.of(w, cols).maxAbsRowDot(rows, cols, x)),
                    List.of(w, x), y);
        });
    }

    /** {@link #rowPerItemF32Check} for packed fp16 pairs, 501 words: not a multiple of the four accumulators. */
    private static KernelCheck rowPerItemF16Check(String kernel) {
        return Check.of(MatVec.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int rows = ROWS;
            int cols = 1002;
            IntArray w = packedHalves(r, rows, cols);
            FloatArray x = r.floats(cols);
            FloatArray y = r.floats(rows);
            Task t = kernel.endsWith("AddingInto")
                    ? Task.of(kernel, () -> MatVec.gemvF16PairsRowPerItemAddingInto(w, x, y, rows, cols))
                    : Task.of(kernel, () -> MatVec.gemvF16PairsRowPerItem(w, x, y, rows, cols));
            return prepared(t.withGrid(WorkerGrid.of(40, 8)), 1e-5, List.of(w, x), y);
        });
    }

    /** {@link #rowPerItemF32Check} for GGML's interleaved Q8_0 blocks, eleven per row. */
    private static KernelCheck rowPerItemQ8_0Check(String kernel) {
        return Check.of(MatVec.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int rows = ROWS;
            int cols = 352;
            ByteArray w = QuantizedInputs.randomQ8_0(r, rows, cols);
            FloatArray x = r.floats(cols);
            FloatArray y = r.floats(rows);
            Task t = kernel.endsWith("AddingInto")
                    ? Task.of(kernel, () -> MatVec.gemvQ8_0RowPerItemAddingInto(w, x, y, rows, cols))
                    : Task.of(kernel, () -> MatVec.gemvQ8_0RowPerItem(w, x, y, rows, cols));
            return prepared(t.withGrid(WorkerGrid.of(40, 8)), 1e-5, List.of(w, x), y);
        });
    }
}
