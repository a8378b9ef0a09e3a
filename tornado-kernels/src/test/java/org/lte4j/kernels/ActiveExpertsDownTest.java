package org.lte4j.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The row-blocked sparse down projection on the JVM against the masked dense product in double:
 * only the listed experts' columns count (the hidden values of the others are garbage the kernel
 * must not read into the sum), written or added into the accumulator.
 */
class ActiveExpertsDownTest {

    @ParameterizedTest(name = "dim={0} experts={1} size={2} local={3} active every {4}")
    @CsvSource({"4, 1, 2, 32, 1", "97, 12, 32, 64, 2", "256, 40, 32, 64, 3", "64, 8, 8, 32, 1", "130, 10, 32, 128, 1000"})
    void onlyTheActiveExpertsColumnsCount(int dim, int experts, int expertSize, int local, int every) {
        RandomArrays r = new RandomArrays(dim * 7L + experts);
        int ffnDim = experts * expertSize;
        HalfArray h = r.halves(dim * ffnDim);
        IntArray down = IntArray.wrap(h.segment());
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
        JvmRun.execute(
                Task.of("down", () -> Experts.downActiveF16PairsFourRows(ctx, down, hidden, ids, activeCount, out, dim, ffnDim, expertSize))
                        .withGrid(grid),
                Task.of("down+", () -> Experts.downActiveF16PairsFourRowsAddingInto(ctx, down, hidden, ids, activeCount, acc, dim, ffnDim,
                        expertSize)).withGrid(grid));

        double[] expected = new double[dim];
        double[] expectedSum = new double[dim];
        double[] tolerance = new double[dim];
        for (int row = 0; row < dim; row++) {
            double abs = 0;
            for (int a = 0; a < count; a++) {
                for (int n = ids.get(a) * expertSize; n < (ids.get(a) + 1) * expertSize; n++) {
                    double term = h.get((long) row * ffnDim + n) * hidden.get(n);
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
