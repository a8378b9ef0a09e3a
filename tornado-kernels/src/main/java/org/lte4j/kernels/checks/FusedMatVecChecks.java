package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.FusedMatVec;
import org.lte4j.kernels.Q8_0Split;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The fused decoder-layer GEMVs. Sizes are small but not multiples of the group size (the tail
 * loop runs), with grouped-query attention (two query heads per KV head). Tolerance as the
 * GEMVs': only the order of fp32 sums differs between devices.
 */
final class FusedMatVecChecks {
    private static final int LOCAL = 64;
    private static final int DIM = 264;
    /** Q8_0 rows of 1056 (264 words): with L = 64 one pass of four words per item, then single words. */
    private static final int Q8_0_DIM = 1056;
    /**
     * The fp16 checks' 1e-5 for sums four times as long: NVIDIA OpenCL once measured 1.06e-5 on the
     * Q8_0 gate/up (silu(gate) * up of two 1056-term sums in another order). One wrong term in a
     * row moves an output by orders of magnitude more.
     */
    private static final double Q8_0_TOLERANCE = 4e-5;
    private static final float EPS = 1e-5f;

    private FusedMatVecChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(FusedMatVec.class, "normedQkvRopeIntoCacheF16", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int headDim = 8;
                    int qDim = 4 * headDim;
                    int kvDim = 2 * headDim;
                    int context = 5;
                    FloatArray x = r.floats(DIM);
                    FloatArray norm = r.floats(DIM);
                    IntArray wq = MatVecChecks.packedHalves(r, qDim, DIM);
                    IntArray wk = MatVecChecks.packedHalves(r, kvDim, DIM);
                    IntArray wv = MatVecChecks.packedHalves(r, kvDim, DIM);
                    FloatArray bq = r.floats(qDim);
                    FloatArray bk = r.floats(kvDim);
                    FloatArray bv = r.floats(kvDim);
                    IntArray position = new IntArray(1);
                    position.set(0, 3);
                    FloatArray frequencies = r.floats(headDim / 2);
                    FloatArray q = new FloatArray(qDim);
                    FloatArray keys = r.floats(context * kvDim);
                    FloatArray values = r.floats(context * kvDim);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedQkvRopeIntoCacheF16", () -> FusedMatVec.normedQkvRopeIntoCacheF16(ctx, x, norm,
                                    wq, wk, wv, bq, bk, bv, position, frequencies, q, keys, values, DIM, qDim, kvDim, headDim, EPS))
                            .withGrid(WorkerGrid.of((qDim + 2 * kvDim) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(x, norm, wq, wk, wv, bq, bk, bv, position, frequencies), q, keys, values);
                }),
                Check.of(FusedMatVec.class, "normedGateUpSiluF16", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 37; // odd: the last group has one neuron
                    FloatArray x = r.floats(DIM);
                    FloatArray norm = r.floats(DIM);
                    IntArray gate = MatVecChecks.packedHalves(r, hidden, DIM);
                    IntArray up = MatVecChecks.packedHalves(r, hidden, DIM);
                    FloatArray out = new FloatArray(hidden);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedGateUpSiluF16", () -> FusedMatVec.normedGateUpSiluF16(ctx, x, norm, gate, up, out, DIM, hidden, EPS))
                            .withGrid(WorkerGrid.of((hidden + 1) / 2 * LOCAL, LOCAL));
                    return prepared(t, 1e-5, List.of(x, norm, gate, up), out);
                }),
                Check.of(FusedMatVec.class, "normedQkvRopeIntoCacheQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int headDim = 8;
                    int qDim = 4 * headDim;
                    int kvDim = 2 * headDim;
                    int context = 5;
                    FloatArray x = r.floats(Q8_0_DIM);
                    FloatArray norm = r.floats(Q8_0_DIM);
                    Q8_0Split wq = MatVecChecks.randomSplitQ8_0(r, qDim, Q8_0_DIM);
                    Q8_0Split wk = MatVecChecks.randomSplitQ8_0(r, kvDim, Q8_0_DIM);
                    Q8_0Split wv = MatVecChecks.randomSplitQ8_0(r, kvDim, Q8_0_DIM);
                    IntArray qQuants = wq.quants();
                    HalfArray qScales = wq.scales();
                    IntArray kQuants = wk.quants();
                    HalfArray kScales = wk.scales();
                    IntArray vQuants = wv.quants();
                    HalfArray vScales = wv.scales();
                    FloatArray bq = r.floats(qDim);
                    FloatArray bk = r.floats(kvDim);
                    FloatArray bv = r.floats(kvDim);
                    IntArray position = IntArray.of(3);
                    FloatArray frequencies = r.floats(headDim / 2);
                    FloatArray q = new FloatArray(qDim);
                    FloatArray keys = r.floats(context * kvDim);
                    FloatArray values = r.floats(context * kvDim);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedQkvRopeIntoCacheQ8_0", () -> FusedMatVec.normedQkvRopeIntoCacheQ8_0(ctx, x, norm,
                                    qQuants, qScales, kQuants, kScales, vQuants, vScales, bq, bk, bv,
                                    position, frequencies, q, keys, values, Q8_0_DIM, qDim, kvDim, headDim, EPS))
                            .withGrid(WorkerGrid.of((qDim + 2 * kvDim) / 4 * LOCAL, LOCAL));
                    return prepared(t, Q8_0_TOLERANCE, List.of(x, norm, qQuants, qScales, kQuants, kScales, vQuants, vScales, bq, bk, bv,
                            position, frequencies), q, keys, values);
                }),
                Check.of(FusedMatVec.class, "normedGateUpSiluQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 37;
                    FloatArray x = r.floats(Q8_0_DIM);
                    FloatArray norm = r.floats(Q8_0_DIM);
                    Q8_0Split gate = MatVecChecks.randomSplitQ8_0(r, hidden, Q8_0_DIM);
                    Q8_0Split up = MatVecChecks.randomSplitQ8_0(r, hidden, Q8_0_DIM);
                    IntArray gateQuants = gate.quants();
                    HalfArray gateScales = gate.scales();
                    IntArray upQuants = up.quants();
                    HalfArray upScales = up.scales();
                    FloatArray out = new FloatArray(hidden);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedGateUpSiluQ8_0", () -> FusedMatVec.normedGateUpSiluQ8_0(ctx, x, norm, gateQuants,
                                    gateScales, upQuants, upScales, out, Q8_0_DIM, hidden, EPS))
                            .withGrid(WorkerGrid.of((hidden + 1) / 2 * LOCAL, LOCAL));
                    return prepared(t, Q8_0_TOLERANCE, List.of(x, norm, gateQuants, gateScales, upQuants, upScales), out);
                }),
                Check.of(FusedMatVec.class, "gateUpSiluQ8_0SplitWordsFourNeurons", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 36;
                    FloatArray x = r.floats(Q8_0_DIM);
                    Q8_0Split gate = MatVecChecks.randomSplitQ8_0(r, hidden, Q8_0_DIM);
                    Q8_0Split up = MatVecChecks.randomSplitQ8_0(r, hidden, Q8_0_DIM);
                    IntArray gateQuants = gate.quants();
                    HalfArray gateScales = gate.scales();
                    IntArray upQuants = up.quants();
                    HalfArray upScales = up.scales();
                    FloatArray out = new FloatArray(hidden);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gateUpSiluQ8_0SplitWordsFourNeurons", () -> FusedMatVec.gateUpSiluQ8_0SplitWordsFourNeurons(ctx,
                                    gateQuants, gateScales, upQuants, upScales, x, out, Q8_0_DIM))
                            .withGrid(WorkerGrid.of(hidden / 4 * LOCAL, LOCAL));
                    return prepared(t, Q8_0_TOLERANCE, List.of(x, gateQuants, gateScales, upQuants, upScales), out);
                }),
                // the CPU forms: an item per row, fewer items than rows (the loop covers the rest)
                Check.of(FusedMatVec.class, "gateUpSiluF32RowPerItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 37;
                    FloatArray x = r.floats(DIM);
                    FloatArray gate = r.floats(hidden * DIM);
                    FloatArray up = r.floats(hidden * DIM);
                    FloatArray out = new FloatArray(hidden);
                    Task t = Task.of("gateUpSiluF32RowPerItem", () -> FusedMatVec.gateUpSiluF32RowPerItem(gate, up, x, out, hidden, DIM))
                            .withGrid(WorkerGrid.of(16, 8));
                    // both dots' rounding, times the other factor: a flat 1e-5 failed once on CUDA (1.5e-5, fp16 pairs below)
                    return prepared(t, LteChecks.siluProductTolerance(Weights.of(gate, DIM), Weights.of(up, DIM), hidden, DIM, x),
                            List.of(x, gate, up), out);
                }),
                Check.of(FusedMatVec.class, "gateUpSiluF16PairsRowPerItem", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 37;
                    FloatArray x = r.floats(DIM);
                    IntArray gate = MatVecChecks.packedHalves(r, hidden, DIM);
                    IntArray up = MatVecChecks.packedHalves(r, hidden, DIM);
                    FloatArray out = new FloatArray(hidden);
                    Task t = Task.of("gateUpSiluF16PairsRowPerItem", () -> FusedMatVec.gateUpSiluF16PairsRowPerItem(gate, up, x, out, hidden, DIM))
                            .withGrid(WorkerGrid.of(16, 8));
                    Weights g = LteChecks.packedHalfWeights(gate, DIM);
                    Weights u = LteChecks.packedHalfWeights(up, DIM);
                    return prepared(t, LteChecks.siluProductTolerance(g, u, hidden, DIM, x), List.of(x, gate, up), out);
                }));
    }
}
