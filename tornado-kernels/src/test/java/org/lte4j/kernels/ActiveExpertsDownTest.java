package org.lte4j.kernels;

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

/**
 * The row-blocked sparse down projections (fp16 pairs, split Q8_0) on the JVM against the masked
 * dense product in double:
 * only the listed experts' columns count (the hidden values of the others are garbage the kernel
 * must not read into the sum), written or added into the accumulator.
 */
class ActiveExpertsDownTest {

    /** An element of the down matrix, decoded. */
    private interface Element {
        double at(int row, int col);
    }

    @ParameterizedTest(name = "{0} dim={1} experts={2} size={3} local={4} active every {5}")
    @CsvSource({"F16, 4, 1, 2, 32, 1", "F16, 97, 12, 32, 64, 2", "F16, 256, 40, 32, 64, 3", "F16, 64, 8, 8, 32, 1",
            "F16, 130, 10, 32, 128, 1000", "Q8_0, 4, 1, 32, 32, 1", "Q8_0, 97, 12, 32, 64, 2", "Q8_0, 256, 40, 64, 32, 3",
            "Q8_0, 130, 64, 32, 32, 2", "Q8_0, 130, 10, 32, 128, 1000"})
    void onlyTheActiveExpertsColumnsCount(String format, int dim, int experts, int expertSize, int local, int every) {
        RandomArrays r = new RandomArrays(dim * 7L + experts);
        int ffnDim = experts * expertSize;
        IntArray down;
        HalfArray scales;
        Element w;
        if (format.equals("F16")) {
            HalfArray h = r.halves(dim * ffnDim);
            down = IntArray.wrap(h.segment());
            scales = null;
            w = (row, col) -> h.get((long) row * ffnDim + col);
        } else {
            ByteArray blocks = QuantizedInputs.randomQ8_0(r, dim, ffnDim);
            Q8_0Split split = Q8_0Split.of(blocks, dim, ffnDim, Arena.ofAuto());
            down = split.quants();
            scales = split.scales();
            w = (row, col) -> JvmRun.q8_0(blocks, row, col, ffnDim);
        }
        FloatArray hidden = r.floats(ffnDim);
        IntArray ids = new IntArray(experts);
        int count = 0;
        for (int e = 0; e < experts; e += every) {
            ids.set(count++, e);
        }
        IntArray activeCount = IntArray.of(count);
        FloatArray out = new FloatArray(dim);
        FloatArray acc = r.floats(dim);
        double[] before = JvmRun.toDoubles(acc);
        KernelContext ctx = new KernelContext();
        WorkerGrid grid = WorkerGrid.of((dim + 3) / 4 * local, local);
        if (format.equals("F16")) {
            JvmRun.execute(
                    Task.of("down", () -> Experts.downActiveF16PairsFourRows(ctx, down, hidden, ids, activeCount, out, false, dim, ffnDim,
                            expertSize)).withGrid(grid),
                    Task.of("down+", () -> Experts.downActiveF16PairsFourRows(ctx, down, hidden, ids, activeCount, acc, true, dim, ffnDim,
                            expertSize)).withGrid(grid));
        } else {
            JvmRun.execute(
                    Task.of("down", () -> Experts.downActiveQ8_0FourRows(ctx, down, scales, hidden, ids, activeCount, out, false, dim,
                            ffnDim, expertSize)).withGrid(grid),
                    Task.of("down+", () -> Experts.downActiveQ8_0FourRows(ctx, down, scales, hidden, ids, activeCount, acc, true, dim,
                            ffnDim, expertSize)).withGrid(grid));
        }

        double[] expected = new double[dim];
        double[] expectedSum = new double[dim];
        double[] tolerance = new double[dim];
        for (int row = 0; row < dim; row++) {
            double abs = 0;
            for (int a = 0; a < count; a++) {
                for (int n = ids.get(a) * expertSize; n < (ids.get(a) + 1) * expertSize; n++) {
                    double term = w.at(row, n) * hidden.get(n);
                    expected[row] += term;
                    abs += Math.abs(term);
                }
            }
            expectedSum[row] = before[row] + expected[row];
            tolerance[row] = JvmRun.sumTolerance(abs + Math.abs(before[row]));
        }
        JvmRun.assertClose(expected, out, tolerance, "down over active experts");
        JvmRun.assertClose(expectedSum, acc, tolerance, "accumulator + down over active experts");
    }
}
