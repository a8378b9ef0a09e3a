package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.ExpertsRowPerItem;
import org.lte4j.kernels.Router;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The CPU OpenCL form of the LTE sparse FFN ({@link ExpertsRowPerItem}, and the one-item
 * compaction of {@link Router}): 12 experts of 32 neurons over a model dimension of 96, about
 * half of them active, on grids of groups of 16 that do not divide the loops (the kernels'
 * grid-stride loops must cover the rest).
 */
final class RowPerItemLteChecks {
    private static final int EXPERTS = 12;
    private static final int EXPERT_SIZE = 32;
    private static final int NEURONS = EXPERTS * EXPERT_SIZE;
    private static final int DIM = 96;
    private static final int LOCAL = 16;
    /** Fewer items than the loops cover: 5 groups of 16 over 384 neurons or 98 rows. */
    private static final WorkerGrid GRID = WorkerGrid.of(5 * LOCAL, LOCAL);

    private RowPerItemLteChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(Router.class, "compactActiveExpertsInOneItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int experts = 301;
                    FloatArray logits = r.floats(experts);
                    IntArray activeIds = new IntArray(experts);
                    IntArray activeCount = new IntArray(1);
                    Task t = Task.of("compactActiveExpertsInOneItem", () -> Router.compactActiveExpertsInOneItem(logits, 0.1f, activeIds,
                            activeCount, experts)).withGrid(WorkerGrid.of(LOCAL, LOCAL));
                    return prepared(t, 0, List.of(logits), activeIds, activeCount);
                }),
                gateUpCheck("gateUpSiluActiveF32", LteChecks.Format.F32),
                gateUpCheck("gateUpSiluActiveF16Pairs", LteChecks.Format.F16),
                Check.of(ExpertsRowPerItem.class, "rowsActiveQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    ByteArray w = QuantizedInputs.randomQ8_0(r, NEURONS, DIM);
                    FloatArray x = r.floats(DIM);
                    IntArray[] active = LteChecks.randomActive(r, EXPERTS);
                    IntArray ids = active[0];
                    IntArray count = active[1];
                    FloatArray out = new FloatArray(NEURONS); // inactive rows stay 0 on both sides
                    int dim = DIM;
                    int size = EXPERT_SIZE;
                    int neurons = NEURONS;
                    Task t = Task.of("rowsActiveQ8_0", () -> ExpertsRowPerItem.rowsActiveQ8_0(w, x, ids, count, out, dim, size, neurons))
                            .withGrid(GRID);
                    double scale = Weights.ofQ8_0(w, dim).maxAbsRowDot(neurons, dim, x);
                    return prepared(t, 1e-5 * Math.max(1, scale), List.of(w, x, ids, count), out);
                }),
                Check.of(ExpertsRowPerItem.class, "siluOfGateTimesUpActive", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    FloatArray hidden = r.floats(NEURONS); // the gate products; inactive ones stay as they are
                    FloatArray up = r.floats(NEURONS);
                    IntArray[] active = LteChecks.randomActive(r, EXPERTS);
                    IntArray ids = active[0];
                    IntArray count = active[1];
                    int size = EXPERT_SIZE;
                    int neurons = NEURONS;
                    Task t = Task.of("siluOfGateTimesUpActive", () -> ExpertsRowPerItem.siluOfGateTimesUpActive(hidden, up, ids, count, size,
                            neurons)).withGrid(GRID);
                    return prepared(t, 1e-6, List.of(up, ids, count), hidden);
                }),
                Check.of(ExpertsRowPerItem.class, "downPartialsOfExpertsF32", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    int size = EXPERT_SIZE;
                    int experts = EXPERTS;
                    FloatArray downT = r.floats(NEURONS * dim);
                    FloatArray hidden = r.floats(NEURONS);
                    IntArray[] active = LteChecks.randomActive(r, experts);
                    IntArray ids = active[0];
                    IntArray count = active[1];
                    FloatArray partials = new FloatArray(experts * dim); // slots past the count stay 0 on both sides
                    Task t = Task.of("downPartialsOfExpertsF32", () -> ExpertsRowPerItem.downPartialsOfExpertsF32(downT, hidden, ids, count,
                            partials, dim, size, experts)).withGrid(WorkerGrid.of(2 * 4, 4)); // fewer items than slots
                    double scale = largestExpertSum(Weights.of(downT, dim), hidden, experts, size, dim);
                    return prepared(t, 1e-5 * Math.max(1, scale), List.of(downT, hidden, ids, count), partials);
                }),
                Check.of(ExpertsRowPerItem.class, "sumPartialsOfExperts", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    FloatArray partials = r.floats(EXPERTS * dim);
                    IntArray count = IntArray.of(r.nextInt(EXPERTS + 1));
                    FloatArray out = r.floats(dim);
                    Task t = Task.of("sumPartialsOfExperts", () -> ExpertsRowPerItem.sumPartialsOfExperts(partials, count, out, true, dim))
                            .withGrid(GRID);
                    return prepared(t, 1e-6 * (EXPERTS + 2), List.of(partials, count, out), out);
                }),
                Check.of(ExpertsRowPerItem.class, "downPartialsOfExpertsQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    int size = EXPERT_SIZE;
                    int experts = EXPERTS;
                    ByteArray quants = new ByteArray((long) NEURONS * dim); // [ffnDim, dim]
                    for (long i = 0; i < quants.getSize(); i++) {
                        quants.set(i, (byte) (r.nextInt(255) - 127));
                    }
                    FloatArray scales = r.floats(NEURONS / 32 * dim); // [ffnDim / 32, dim]
                    FloatArray hidden = r.floats(NEURONS);
                    IntArray[] active = LteChecks.randomActive(r, experts);
                    IntArray ids = active[0];
                    IntArray count = active[1];
                    FloatArray partials = new FloatArray(experts * dim); // slots past the count stay 0 on both sides
                    Task t = Task.of("downPartialsOfExpertsQ8_0", () -> ExpertsRowPerItem.downPartialsOfExpertsQ8_0(quants, scales, hidden, ids,
                            count, partials, dim, size, experts)).withGrid(WorkerGrid.of(2 * 4, 4)); // fewer items than slots
                    Weights w = (n, i) -> quants.get(n * dim + i) * scales.get(n / 32 * dim + i);
                    double scale = largestExpertSum(w, hidden, experts, size, dim);
                    return prepared(t, 1e-5 * Math.max(1, scale), List.of(quants, scales, hidden, ids, count), partials);
                }),
                Check.of(ExpertsRowPerItem.class, "downActiveF16Pairs", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = DIM + 2;
                    int size = EXPERT_SIZE;
                    int ffnDim = NEURONS;
                    FloatArray hidden = r.floats(ffnDim);
                    IntArray[] active = LteChecks.randomActive(r, EXPERTS);
                    IntArray ids = active[0];
                    IntArray count = active[1];
                    FloatArray out = r.floats(rows);
                    IntArray down = MatVecChecks.packedHalves(r, rows, ffnDim);
                    Weights w = LteChecks.packedHalfWeights(down, ffnDim);
                    Task t = Task.of("downActiveF16Pairs", () -> ExpertsRowPerItem.downActiveF16Pairs(down, hidden, ids, count, out, true, rows,
                            ffnDim, size)).withGrid(GRID);
                    return prepared(t, 1e-5 * Math.max(1, w.maxAbsRowDot(rows, ffnDim, hidden)), List.of(down, hidden, ids, count, out), out);
                }));
    }

    /**
     * The largest sum over one expert's neurons n of {@code |hidden[n] * downT(n, i)|}, over all
     * experts and outputs i: the scale of one partial's fp32 rounding error.
     */
    private static double largestExpertSum(Weights downT, FloatArray hidden, int experts, int size, int dim) {
        double worst = 0;
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < dim; i++) {
                double s = 0;
                for (int n = e * size; n < (e + 1) * size; n++) {
                    s += Math.abs(hidden.get(n) * downT.at(n, i));
                }
                worst = Math.max(worst, s);
            }
        }
        return worst;
    }

    /** The one-kernel gate/up over the list, fp32 or packed fp16 rows. */
    private static KernelCheck gateUpCheck(String kernel, LteChecks.Format format) {
        return Check.of(ExpertsRowPerItem.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int size = EXPERT_SIZE;
            int neurons = NEURONS;
            FloatArray x = r.floats(dim);
            IntArray[] active = LteChecks.randomActive(r, EXPERTS);
            IntArray ids = active[0];
            IntArray count = active[1];
            FloatArray hidden = new FloatArray(neurons); // inactive neurons stay 0 on both sides
            NativeArray gate;
            NativeArray up;
            Weights g;
            Weights u;
            Task t;
            if (format == LteChecks.Format.F32) {
                FloatArray gw = r.floats(neurons * dim);
                FloatArray uw = r.floats(neurons * dim);
                gate = gw;
                up = uw;
                g = Weights.of(gw, dim);
                u = Weights.of(uw, dim);
                t = Task.of(kernel, () -> ExpertsRowPerItem.gateUpSiluActiveF32(gw, uw, x, ids, count, hidden, dim, size, neurons));
            } else {
                IntArray gw = MatVecChecks.packedHalves(r, neurons, dim);
                IntArray uw = MatVecChecks.packedHalves(r, neurons, dim);
                gate = gw;
                up = uw;
                g = LteChecks.packedHalfWeights(gw, dim);
                u = LteChecks.packedHalfWeights(uw, dim);
                t = Task.of(kernel, () -> ExpertsRowPerItem.gateUpSiluActiveF16Pairs(gw, uw, x, ids, count, hidden, dim, size, neurons));
            }
            return prepared(t.withGrid(GRID), LteChecks.siluProductTolerance(g, u, neurons, dim, x), List.of(gate, up, x, ids, count),
                    hidden);
        });
    }
}
