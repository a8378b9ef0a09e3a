package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;

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

class MatVecTest {

    /** Weight (r, c) of the matrix under test. */
    private interface Element {
        double at(int r, int c);
    }

    private static void check(Element w, FloatArray x, FloatArray y, int rows, int cols) {
        double[] expected = new double[rows];
        double[] tolerance = new double[rows];
        for (int r = 0; r < rows; r++) {
            double abs = 0;
            for (int c = 0; c < cols; c++) {
                expected[r] += w.at(r, c) * x.get(c);
                abs += Math.abs(w.at(r, c) * x.get(c));
            }
            tolerance[r] = JvmRun.sumTolerance(abs);
        }
        JvmRun.assertClose(expected, y, tolerance, "y");
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2} groups={3}")
    @CsvSource({"1, 1, 32, 1", "1, 300, 64, 1", "37, 300, 64, 37", "37, 96, 32, 5", "8, 1024, 256, 8"})
    void fp32(int rows, int cols, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        FloatArray w = r.floats(rows * cols);
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF32(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(groups * local, local)));
        check((i, c) -> w.get((long) i * cols + c), x, y, rows, cols);
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2} groups={3}")
    @CsvSource({"1, 1, 32, 1", "1, 300, 64, 1", "37, 300, 64, 37", "37, 96, 32, 5"})
    void fp16(int rows, int cols, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        HalfArray w = r.halves(rows * cols);
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF16(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(groups * local, local)));
        check((i, c) -> w.get((long) i * cols + c), x, y, rows, cols);
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2} groups={3}")
    @CsvSource({"1, 2, 32, 1", "1, 300, 64, 1", "37, 1002, 64, 37", "37, 96, 32, 5", "3, 4096, 256, 3"})
    void fp16PackedPairs(int rows, int cols, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        HalfArray h = r.halves(rows * cols);
        IntArray w = IntArray.wrap(h.segment()); // the same bytes, two halves per word
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF16Pairs(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(groups * local, local)));
        check((i, c) -> h.get((long) i * cols + c), x, y, rows, cols);
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2}")
    @CsvSource({"1, 2, 32", "3, 300, 64", "4, 1002, 64", "37, 1002, 64", "38, 96, 32", "5, 4096, 256"})
    void fp16PackedPairsFourRowsPerGroup(int rows, int cols, int local) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        HalfArray h = r.halves(rows * cols);
        IntArray w = IntArray.wrap(h.segment());
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF16PairsFourRows(ctx, w, x, y, rows, cols))
                .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
        check((i, c) -> h.get((long) i * cols + c), x, y, rows, cols);
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2}")
    @CsvSource({"1, 2, 32", "3, 300, 64", "37, 1002, 64", "8, 4096, 256"})
    void fp16PackedPairsFourRowsAddingIntoTheAccumulator(int rows, int cols, int local) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        HalfArray h = r.halves(rows * cols);
        IntArray w = IntArray.wrap(h.segment());
        FloatArray x = r.floats(cols);
        FloatArray acc = r.floats(rows);
        double[] before = JvmRun.toDoubles(acc);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvF16PairsFourRowsAddingInto(ctx, w, x, acc, rows, cols))
                .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
        FloatArray product = new FloatArray(rows);
        for (int i = 0; i < rows; i++) {
            product.set(i, (float) (acc.get(i) - before[i]));
        }
        check((i, c) -> h.get((long) i * cols + c), x, product, rows, cols);
    }

    /** The barrier-free item-per-row GEMVs (for CPU OpenCL), every format, on grids smaller and larger than the rows. */
    @ParameterizedTest(name = "rows={0} cols={1} items={2}")
    @CsvSource({"1, 32, 1", "3, 352, 8", "37, 96, 16", "5, 4096, 64", "40, 64, 8"})
    void itemPerRowInEveryFormat(int rows, int cols, int items) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        FloatArray x = r.floats(cols);
        WorkerGrid grid = WorkerGrid.of(items, Math.min(items, 8));

        FloatArray w32 = r.floats(rows * cols);
        FloatArray y32 = new FloatArray(rows);
        JvmRun.execute(Task.of("f32", () -> MatVec.gemvF32RowPerItem(w32, x, y32, rows, cols)).withGrid(grid));
        check((i, c) -> w32.get((long) i * cols + c), x, y32, rows, cols);

        HalfArray h = r.halves(rows * cols);
        IntArray w16 = IntArray.wrap(h.segment());
        FloatArray y16 = new FloatArray(rows);
        JvmRun.execute(Task.of("f16", () -> MatVec.gemvF16PairsRowPerItem(w16, x, y16, rows, cols)).withGrid(grid));
        check((i, c) -> h.get((long) i * cols + c), x, y16, rows, cols);

        ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols);
        FloatArray y8 = new FloatArray(rows);
        JvmRun.execute(Task.of("q8", () -> MatVec.gemvQ8_0RowPerItem(blocks, x, y8, rows, cols)).withGrid(grid));
        check((i, c) -> JvmRun.q8_0(blocks, i, c, cols), x, y8, rows, cols);
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2}")
    @CsvSource({"1, 32, 32", "3, 352, 64", "4, 352, 64", "37, 352, 64", "6, 1280, 64", "5, 4096, 256"})
    void q8_0SplitIntoWordsAndScales(int rows, int cols, int local) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols);
        Q8_0Split w = Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
        IntArray quants = w.quants();
        HalfArray scales = w.scales();
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, x, y, rows, cols))
                .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
        check((i, c) -> JvmRun.q8_0(blocks, i, c, cols), x, y, rows, cols);

        // the residual-adding kernel adds exactly the same sums
        FloatArray acc = r.floats(rows);
        double[] before = JvmRun.toDoubles(acc);
        JvmRun.execute(Task.of("gemv+", () -> MatVec.gemvQ8_0SplitWordsFourRowsAddingInto(ctx, quants, scales, x, acc, rows, cols))
                .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
        for (int i = 0; i < rows; i++) {
            assertEquals((float) before[i] + y.get(i), acc.get(i), 0f, "row " + i + " added");
        }
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2} groups={3}")
    @CsvSource({"1, 32, 32, 1", "1, 352, 64, 1", "37, 352, 64, 37", "37, 96, 32, 5", "3, 4096, 256, 3"})
    void q8_0(int rows, int cols, int local, int groups) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols);
        ByteArray w = QuantizedInputs.randomQ8_0(r, rows, cols);
        FloatArray x = r.floats(cols);
        FloatArray y = new FloatArray(rows);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("gemv", () -> MatVec.gemvQ8_0(ctx, w, x, y, rows, cols)).withGrid(WorkerGrid.of(groups * local, local)));
        check((i, c) -> JvmRun.q8_0(w, i, c, cols), x, y, rows, cols);
    }
}
