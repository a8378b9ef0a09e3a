package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

class NormalizationAndSoftmaxTest {

    @ParameterizedTest(name = "n={0} local={1}")
    @CsvSource({"1, 32", "100, 32", "1000, 128", "4096, 256"})
    void rmsNormMatchesDefinition(int n, int local) {
        RandomArrays r = new RandomArrays(n);
        FloatArray x = r.floats(n);
        FloatArray weight = r.floats(n);
        FloatArray out = new FloatArray(n);
        float eps = 1e-5f;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            squares += (double) x.get(i) * x.get(i);
        }
        double scale = 1 / Math.sqrt(squares / n + eps);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = x.get(i) * scale * weight.get(i);
        }
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("rms", () -> Normalization.rmsNorm(ctx, x, weight, out, n, eps)).withGrid(WorkerGrid.of(local, local)));
        double[] tolerance = new double[n];
        for (int i = 0; i < n; i++) {
            tolerance[i] = 2e-6 * Math.abs(expected[i]) + 1e-7;
        }
        JvmRun.assertClose(expected, out, tolerance, "out");
    }

    @Test
    void rmsNormMayWriteInPlace() {
        int n = 70;
        RandomArrays r = new RandomArrays(5);
        FloatArray x = r.floats(n);
        FloatArray copy = FloatArray.of(x.toHeapArray());
        FloatArray weight = r.floats(n);
        FloatArray separate = new FloatArray(n);
        float eps = 1e-6f;
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("apart", () -> Normalization.rmsNorm(ctx, copy, weight, separate, n, eps)).withGrid(WorkerGrid.of(32, 32)),
                Task.of("inPlace", () -> Normalization.rmsNorm(ctx, x, weight, x, n, eps)).withGrid(WorkerGrid.of(32, 32)));
        for (int i = 0; i < n; i++) {
            assertEquals(separate.get(i), x.get(i), 0f);
        }
    }

    @ParameterizedTest(name = "n={0} local={1}")
    @CsvSource({"1, 32", "5, 32", "1000, 128", "3000, 256"})
    void softmaxMatchesDefinition(int n, int local) {
        RandomArrays r = new RandomArrays(n);
        FloatArray x = r.floats(n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            x.set(i, x.get(i) * 20);
            max = Math.max(max, x.get(i));
        }
        double sum = 0;
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.exp(x.get(i) - max);
            sum += expected[i];
        }
        for (int i = 0; i < n; i++) {
            expected[i] /= sum;
        }
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("softmax", () -> Softmax.softmaxInPlace(ctx, x, n)).withGrid(WorkerGrid.of(local, local)));
        double[] tolerance = new double[n];
        for (int i = 0; i < n; i++) {
            tolerance[i] = 2e-6 * expected[i] + 1e-9;
        }
        JvmRun.assertClose(expected, x, tolerance, "p");
    }

    @Test
    void softmaxOfLargeLogitsDoesNotOverflow() {
        FloatArray x = FloatArray.of(1000f, 1000f, -1000f);
        int n = 3;
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("softmax", () -> Softmax.softmaxInPlace(ctx, x, n)).withGrid(WorkerGrid.of(32, 32)));
        assertEquals(0.5f, x.get(0), 0f);
        assertEquals(0.5f, x.get(1), 0f);
        assertEquals(0f, x.get(2), 0f);
    }
}
