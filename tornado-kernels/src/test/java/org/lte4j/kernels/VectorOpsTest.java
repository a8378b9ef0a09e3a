package org.lte4j.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

class VectorOpsTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 1000})
    void saxpyMatchesScalarLoop(int n) {
        RandomArrays r = new RandomArrays(n);
        float alpha = -1.75f;
        FloatArray x = r.floats(n);
        FloatArray y = r.floats(n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = (double) alpha * x.get(i) + y.get(i);
        }
        JvmRun.execute(Task.of("saxpy", () -> VectorOps.saxpy(alpha, x, y, n)));
        JvmRun.assertClose(expected, y, 4e-7, "y");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 33, 777})
    void addInPlaceAddsDelta(int n) {
        RandomArrays r = new RandomArrays(n);
        FloatArray acc = r.floats(n);
        FloatArray delta = r.floats(n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = (double) acc.get(i) + delta.get(i);
        }
        JvmRun.execute(Task.of("add", () -> VectorOps.addInPlace(acc, delta, n)).withGrid(WorkerGrid.of(64, 64)));
        JvmRun.assertClose(expected, acc, 2.5e-7, "acc");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 1000})
    void siluGateTimesUpMatchesDefinition(int n) {
        RandomArrays r = new RandomArrays(n);
        FloatArray gate = r.floats(n);
        FloatArray up = r.floats(n);
        for (int i = 0; i < n; i++) {
            gate.set(i, gate.get(i) * 10); // reach the saturated parts of the sigmoid
        }
        FloatArray out = new FloatArray(n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            double g = gate.get(i);
            expected[i] = g / (1 + Math.exp(-g)) * up.get(i);
        }
        JvmRun.execute(Task.of("silu", () -> VectorOps.siluGateTimesUp(gate, up, out, n)));
        JvmRun.assertClose(expected, out, 2e-6, "out");
    }
}
