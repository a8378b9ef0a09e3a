package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.ExpertsPipelined;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * {@link ExpertsPipelined#normedGateUpSiluThenDownActiveF16Pairs}: 40 experts of 32 over a
 * dimension of 98 (the last down group has two rows), about 20 listed, groups of 32, so the list
 * falls into about five chunks of four experts, the last one shorter; the listed neurons, the
 * residual after the add, and the counters back at zero.
 */
final class PipelinedFfnCheck {
    private PipelinedFfnCheck() {
    }

    static KernelCheck of() {
        String kernel = "normedGateUpSiluThenDownActiveF16Pairs";
        return Check.of(ExpertsPipelined.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = 98;
            int expertSize = 32;
            int experts = 40;
            int local = 32;
            int neurons = experts * expertSize;
            int slices = 2;
            float eps = 1e-5f;
            IntArray gate = MatVecChecks.packedHalves(r, neurons, dim);
            IntArray up = MatVecChecks.packedHalves(r, neurons, dim);
            IntArray down = MatVecChecks.packedHalves(r, dim, neurons);
            FloatArray weightedInput = r.floats(dim);
            FloatArray partialLogits = LteChecks.withSumsOfSquares(r.floats(slices * (experts + 1)), slices, experts, dim);
            IntArray[] active = LteChecks.randomActive(r, experts);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray hidden = new FloatArray(neurons);
            FloatArray residual = r.floats(dim);
            IntArray sync = new IntArray(ExpertsPipelined.syncInts(experts));
            KernelContext ctx = new KernelContext();
            Task t = Task.of(kernel, () -> ExpertsPipelined.normedGateUpSiluThenDownActiveF16Pairs(ctx, gate, up, weightedInput,
                            partialLogits, slices, experts, eps, activeIds, activeCount, hidden, down, residual, sync, dim, expertSize))
                    .withGrid(WorkerGrid.of((neurons / 2 + (dim + 3) / 4) * local, local));
            double squares = 0;
            for (int s = 0; s < slices; s++) {
                squares += partialLogits.get((long) slices * experts + s);
            }
            double scale = 1 / Math.sqrt(squares / dim + eps);
            Weights g = LteChecks.packedHalfWeights(gate, dim);
            Weights u = LteChecks.packedHalfWeights(up, dim);
            Weights d = LteChecks.packedHalfWeights(down, neurons);
            double tolerance;
            try (FloatArray xn = new FloatArray(dim); // the normed input: the weighted input times the norm's scale
                 FloatArray products = new FloatArray(neurons)) {
                for (int c = 0; c < dim; c++) {
                    xn.set(c, (float) (weightedInput.get(c) * scale));
                }
                for (int slot = 0; slot < activeCount.get(0); slot++) { // |silu(a) b| <= |a b| for each listed neuron
                    for (int n = activeIds.get(slot) * expertSize; n < (activeIds.get(slot) + 1) * expertSize; n++) {
                        double a = 0;
                        double b = 0;
                        for (int c = 0; c < dim; c++) {
                            a += g.at(n, c) * xn.get(c);
                            b += u.at(n, c) * xn.get(c);
                        }
                        products.set(n, (float) Math.abs(a * b));
                    }
                }
                // each neuron's rounding (the gate/up check's), plus the down's over the rows' |w h|
                tolerance = LteChecks.siluProductTolerance(g, u, neurons, dim, xn)
                        + 1e-5 * Math.max(1, d.maxAbsRowDot(dim, neurons, products));
            }
            return prepared(t, tolerance, List.of(gate, up, down, weightedInput, partialLogits, activeIds, activeCount, residual),
                    hidden, residual, sync);
        });
    }
}
