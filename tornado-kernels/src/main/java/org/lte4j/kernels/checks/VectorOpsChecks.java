package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.VectorOps;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/** Element-wise kernels on lengths that are not a multiple of any work-group size. */
final class VectorOpsChecks {
    private VectorOpsChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(VectorOps.class, "saxpy", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    float alpha = r.nextFloat();
                    FloatArray x = r.floats(n);
                    FloatArray y = r.floats(n);
                    // one multiply-add per element: a fused multiply-add on the device differs by one rounding
                    return prepared(Task.of("saxpy", () -> VectorOps.saxpy(alpha, x, y, n)), 1e-6, List.of(x, y), y);
                }),
                Check.of(VectorOps.class, "addInPlace", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 777;
                    FloatArray acc = r.floats(n);
                    FloatArray delta = r.floats(n);
                    return prepared(Task.of("addInPlace", () -> VectorOps.addInPlace(acc, delta, n)), 0, List.of(acc, delta), acc);
                }),
                Check.of(VectorOps.class, "siluGateTimesUp", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    FloatArray gate = r.floats(n);
                    FloatArray up = r.floats(n);
                    FloatArray out = new FloatArray(n);
                    // exp may run in float on the device: a few ulp of values below 1
                    return prepared(Task.of("siluGateTimesUp", () -> VectorOps.siluGateTimesUp(gate, up, out, n)), 1e-6,
                            List.of(gate, up), out);
                }));
    }
}
