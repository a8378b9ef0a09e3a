package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.Reductions;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/** Reductions over lengths that leave the last group partly empty. */
final class ReductionChecks {
    private ReductionChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(Reductions.class, "sumPartials", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 3001;
                    int groups = 7;
                    FloatArray in = r.floats(n);
                    FloatArray partials = new FloatArray(groups);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("sumPartials", () -> Reductions.sumPartials(ctx, in, partials, n)).withGrid(WorkerGrid.of(groups * 64, 64));
                    // each partial's error scales with the |values| its own group adds (item t visits t, t + G, ...)
                    double[] groupAbs = new double[groups];
                    for (int i = 0; i < n; i++) {
                        groupAbs[i % (groups * 64) / 64] += Math.abs(in.get(i));
                    }
                    double worst = java.util.Arrays.stream(groupAbs).max().orElse(0);
                    return prepared(t, 1e-5 * Math.max(1, worst), List.of(in), partials);
                }),
                Check.of(Reductions.class, "maxPartials", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 3001;
                    int groups = 7;
                    FloatArray in = r.floats(n);
                    FloatArray partials = new FloatArray(groups);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("maxPartials", () -> Reductions.maxPartials(ctx, in, partials, n)).withGrid(WorkerGrid.of(groups * 64, 64));
                    return prepared(t, 0, List.of(in), partials);
                }),
                Check.of(Reductions.class, "sumSingleGroup", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    FloatArray in = r.floats(n);
                    FloatArray out = new FloatArray(1);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("sumSingleGroup", () -> Reductions.sumSingleGroup(ctx, in, out, n)).withGrid(WorkerGrid.of(128, 128));
                    return prepared(t, 1e-5 * Math.max(1, absSum(in, n)), List.of(in), out);
                }),
                Check.of(Reductions.class, "maxSingleGroup", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    FloatArray in = r.floats(n);
                    FloatArray out = new FloatArray(1);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("maxSingleGroup", () -> Reductions.maxSingleGroup(ctx, in, out, n)).withGrid(WorkerGrid.of(128, 128));
                    return prepared(t, 0, List.of(in), out);
                }),
                Check.of(Reductions.class, "argmaxSingleGroup", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 5003;
                    FloatArray in = r.floats(n);
                    IntArray result = new IntArray(1);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("argmaxSingleGroup", () -> Reductions.argmaxSingleGroup(ctx, in, result, n)).withGrid(WorkerGrid.of(256, 256));
                    return prepared(t, 0, List.of(in), result);
                }));
    }

    static double absSum(FloatArray a, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.abs(a.get(i));
        }
        return s;
    }
}
