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

class ReductionsTest {

    @ParameterizedTest(name = "n={0} groups={1} local={2}")
    @CsvSource({"1, 1, 32", "100, 3, 32", "3001, 7, 64", "64, 4, 16"})
    void twoPassSumAndMaxMatchScalarLoops(int n, int groups, int local) {
        RandomArrays r = new RandomArrays(n);
        FloatArray in = r.floats(n);
        double sum = 0;
        double abs = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            sum += in.get(i);
            abs += Math.abs(in.get(i));
            max = Math.max(max, in.get(i));
        }
        FloatArray partials = new FloatArray(groups);
        FloatArray maxPartials = new FloatArray(groups);
        FloatArray total = new FloatArray(1);
        FloatArray largest = new FloatArray(1);
        KernelContext ctx = new KernelContext();
        WorkerGrid grid = WorkerGrid.of(groups * local, local);
        WorkerGrid one = WorkerGrid.of(32, 32);
        JvmRun.execute(
                Task.of("sum1", () -> Reductions.sumPartials(ctx, in, partials, n)).withGrid(grid),
                Task.of("sum2", () -> Reductions.sumSingleGroup(ctx, partials, total, groups)).withGrid(one),
                Task.of("max1", () -> Reductions.maxPartials(ctx, in, maxPartials, n)).withGrid(grid),
                Task.of("max2", () -> Reductions.maxSingleGroup(ctx, maxPartials, largest, groups)).withGrid(one));
        assertEquals(sum, total.get(0), JvmRun.sumTolerance(abs));
        assertEquals(max, largest.get(0), 0f);
    }

    @Test
    void partialsOfGroupsThatSeeNoElementAreNeutral() {
        FloatArray in = FloatArray.of(3f, -2f);
        FloatArray sums = new FloatArray(4);
        FloatArray maxes = new FloatArray(4);
        KernelContext ctx = new KernelContext();
        int n = 2;
        JvmRun.execute(
                Task.of("sum", () -> Reductions.sumPartials(ctx, in, sums, n)).withGrid(WorkerGrid.of(64, 16)),
                Task.of("max", () -> Reductions.maxPartials(ctx, in, maxes, n)).withGrid(WorkerGrid.of(64, 16)));
        assertEquals(1f, sums.get(0));
        assertEquals(0f, sums.get(3));
        assertEquals(3f, maxes.get(0));
        assertEquals(Float.NEGATIVE_INFINITY, maxes.get(1));
    }

    @ParameterizedTest(name = "n={0} local={1}")
    @CsvSource({"1, 32", "31, 32", "5003, 256", "1000, 64"})
    void singleGroupSumMatchesScalarLoop(int n, int local) {
        RandomArrays r = new RandomArrays(7 * n);
        FloatArray in = r.floats(n);
        double sum = 0;
        double abs = 0;
        for (int i = 0; i < n; i++) {
            sum += in.get(i);
            abs += Math.abs(in.get(i));
        }
        FloatArray out = new FloatArray(1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("sum", () -> Reductions.sumSingleGroup(ctx, in, out, n)).withGrid(WorkerGrid.of(local, local)));
        assertEquals(sum, out.get(0), JvmRun.sumTolerance(abs));
    }

    @ParameterizedTest(name = "n={0} local={1}")
    @CsvSource({"1, 32", "31, 32", "5003, 256", "1000, 64"})
    void argmaxFindsTheFirstMaximum(int n, int local) {
        RandomArrays r = new RandomArrays(3 * n);
        FloatArray in = r.floats(n);
        int expected = 0;
        for (int i = 1; i < n; i++) {
            if (in.get(i) > in.get(expected)) {
                expected = i;
            }
        }
        IntArray result = new IntArray(1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("argmax", () -> Reductions.argmaxSingleGroup(ctx, in, result, n)).withGrid(WorkerGrid.of(local, local)));
        assertEquals(expected, result.get(0));
    }

    @Test
    void argmaxBreaksTiesTowardTheLowerIndexAndSkipsNaN() {
        int n = 300;
        FloatArray in = new FloatArray(n);
        in.fill(Float.NEGATIVE_INFINITY);
        in.set(0, Float.NaN);
        in.set(257, 5f);
        in.set(131, 5f);
        in.set(299, 5f);
        IntArray result = new IntArray(1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("argmax", () -> Reductions.argmaxSingleGroup(ctx, in, result, n)).withGrid(WorkerGrid.of(64, 64)));
        assertEquals(131, result.get(0));

        FloatArray allMinusInfinity = new FloatArray(10);
        allMinusInfinity.fill(Float.NEGATIVE_INFINITY);
        int ten = 10;
        JvmRun.execute(Task.of("argmax", () -> Reductions.argmaxSingleGroup(ctx, allMinusInfinity, result, ten)).withGrid(WorkerGrid.of(32, 32)));
        assertEquals(0, result.get(0));

        int zero = 0;
        JvmRun.execute(Task.of("argmax", () -> Reductions.argmaxSingleGroup(ctx, allMinusInfinity, result, zero)).withGrid(WorkerGrid.of(32, 32)));
        assertEquals(-1, result.get(0));
    }
}
