package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.BatchMatMul;
import org.lte4j.kernels.Q8_0Split;
import org.lte4j.kernels.QuantizedInputMatVec;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * {@link QuantizedInputMatVec}. The quantizations run on inputs whose every block holds integer
 * multiples of one step with a largest magnitude of exactly 127 steps, so every quant is an
 * integer up to float rounding on every device (none lies near a rounding boundary). Without a
 * norm the step is a power of two and everything must match exactly; with the norm the scales
 * carry its rounding, and the words are compared as numbers relative to their size (a quant off
 * by one in a word's top byte fails, in a lower byte it would not: the JVM unit tests check each
 * quant against a scalar quantizer). The GEMVs read an input quantized on the host; only their
 * float summation order differs, as for the float-input Q8_0 GEMVs.
 */
final class QuantizedInputChecks {
    private static final int ROWS = 37;
    private static final int LOCAL = 64;

    private QuantizedInputChecks() {
    }

    /** n values {@code k * step}, k uniform in [-127, 127] and the first of every block of 32 at +-127. */
    static FloatArray wholeSteps(RandomArrays r, int n, float step) {
        FloatArray x = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            int k = i % 32 == 0 ? (r.nextInt(2) == 0 ? -127 : 127) : r.nextInt(255) - 127;
            x.set(i, k * step);
        }
        return x;
    }

    /** {@code x} quantized on the host ({@link QuantizedInputs#quantizeQ8_0}), as the GEMVs' input. */
    private record Quantized(IntArray quants, FloatArray scales) {
        static Quantized of(FloatArray x, int n) {
            IntArray q = new IntArray(n / 4);
            FloatArray s = new FloatArray(n / 32);
            QuantizedInputs.quantizeQ8_0(x, q, s);
            return new Quantized(q, s);
        }
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(QuantizedInputMatVec.class, "quantize", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1280;
                    FloatArray x = wholeSteps(r, n, 1f / 128);
                    IntArray quants = new IntArray(n / 4);
                    FloatArray scales = new FloatArray(n / 32);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("quantize", () -> QuantizedInputMatVec.quantize(ctx, x, quants, scales, n))
                            .withGrid(WorkerGrid.covering(n / 4, LOCAL, 1024)); // 320 words: the last group's last items idle
                    return prepared(t, 0, List.of(x), quants, scales);
                }),
                Check.of(QuantizedInputMatVec.class, "normedQuantize", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1280;
                    FloatArray x = wholeSteps(r, n, 1f / 64);
                    FloatArray weight = new FloatArray(n);
                    for (int i = 0; i < n; i++) {
                        weight.set(i, (i / 32 % 4 + 1) * 0.5f); // one weight per block keeps the steps whole
                    }
                    IntArray quants = new IntArray(n / 4);
                    FloatArray scales = new FloatArray(n / 32);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedQuantize", () -> QuantizedInputMatVec.normedQuantize(ctx, x, weight, quants, scales, n, 1e-5f))
                            .withGrid(WorkerGrid.of(LOCAL, LOCAL));
                    return prepared(t, 1e-6, List.of(x, weight), quants, scales);
                }),
                Check.of(QuantizedInputMatVec.class, "gemvQ8_0FourRows", seed -> { // adding: the unit test covers writing
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS; // not a multiple of 4: the last group has one row
                    int cols = 1280; // 160 word pairs: one pass of two pairs per item, then one of single pairs
                    Q8_0Split w = MatVecChecks.randomSplitQ8_0(r, rows, cols);
                    IntArray quants = w.quants();
                    HalfArray scales = w.scales();
                    Quantized x = Quantized.of(r.floats(cols), cols);
                    IntArray xq = x.quants();
                    FloatArray xs = x.scales();
                    FloatArray acc = r.floats(rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gemvQ8_0FourRows", () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, quants, scales, xq, xs, acc, true,
                                    rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-4, List.of(quants, scales, xq, xs), acc);
                }),
                // the prompt batch's form: 37 rows end in a partial block; 3 groups of two sets loop over ten blocks;
                // 11 quant blocks per row, fewer than the lanes
                Check.of(BatchMatMul.class, "matMulQ8_0Int8InputFourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int rows = ROWS;
                    int cols = 352;
                    int batch = 5;
                    Q8_0Split w = MatVecChecks.randomSplitQ8_0(r, rows, cols);
                    IntArray quants = w.quants();
                    HalfArray scales = w.scales();
                    Quantized x = Quantized.of(r.floats(batch * cols), batch * cols); // blocks never straddle two tokens
                    IntArray xq = x.quants();
                    FloatArray xs = x.scales();
                    FloatArray y = r.floats(batch * rows);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("matMulQ8_0Int8InputFourRows",
                                    () -> BatchMatMul.matMulQ8_0Int8InputFourRows(ctx, quants, scales, xq, xs, y, rows, cols, batch))
                            .withGrid(WorkerGrid.of(3 * LOCAL, LOCAL)).specialising(8);
                    return prepared(t, 1e-4, List.of(quants, scales, xq, xs), y);
                }),
                Check.of(QuantizedInputMatVec.class, "qkvRopeIntoCacheQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 256;
                    int headDim = 8;
                    int qDim = 4 * headDim;
                    int kvDim = 2 * headDim;
                    int context = 5;
                    Quantized x = Quantized.of(r.floats(dim), dim);
                    IntArray xq = x.quants();
                    FloatArray xs = x.scales();
                    Q8_0Split wq = MatVecChecks.randomSplitQ8_0(r, qDim, dim);
                    Q8_0Split wk = MatVecChecks.randomSplitQ8_0(r, kvDim, dim);
                    Q8_0Split wv = MatVecChecks.randomSplitQ8_0(r, kvDim, dim);
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
                    Task t = Task.of("qkvRopeIntoCacheQ8_0", () -> QuantizedInputMatVec.qkvRopeIntoCacheQ8_0(ctx, xq, xs,
                                    qQuants, qScales, kQuants, kScales, vQuants, vScales, bq, bk, bv,
                                    position, frequencies, q, keys, values, dim, qDim, kvDim, headDim))
                            .withGrid(WorkerGrid.of((qDim + 2 * kvDim) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-4, List.of(xq, xs, qQuants, qScales, kQuants, kScales, vQuants, vScales, bq, bk, bv,
                            position, frequencies), q, keys, values);
                }),
                Check.of(QuantizedInputMatVec.class, "gateUpSiluQ8_0FourNeurons", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int hidden = 36;
                    int dim = 1280;
                    Quantized x = Quantized.of(r.floats(dim), dim);
                    IntArray xq = x.quants();
                    FloatArray xs = x.scales();
                    Q8_0Split gate = MatVecChecks.randomSplitQ8_0(r, hidden, dim);
                    Q8_0Split up = MatVecChecks.randomSplitQ8_0(r, hidden, dim);
                    IntArray gateQuants = gate.quants();
                    HalfArray gateScales = gate.scales();
                    IntArray upQuants = up.quants();
                    HalfArray upScales = up.scales();
                    FloatArray out = new FloatArray(hidden);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("gateUpSiluQ8_0FourNeurons", () -> QuantizedInputMatVec.gateUpSiluQ8_0FourNeurons(ctx,
                                    gateQuants, gateScales, upQuants, upScales, xq, xs, out, dim))
                            .withGrid(WorkerGrid.of(hidden / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-4, List.of(xq, xs, gateQuants, gateScales, upQuants, upScales), out);
                }),
                // the LTE sparse FFN over int8 blocks (its router quantizes: LteChecks): 12 experts of 32 neurons, about half listed
                Check.of(QuantizedInputMatVec.class, "normedGateUpSiluActiveQ8_0FourNeurons", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 96;
                    int expertSize = 32;
                    int experts = 12;
                    int neurons = experts * expertSize;
                    int slices = 3;
                    Q8_0Split gate = MatVecChecks.randomSplitQ8_0(r, neurons, dim);
                    Q8_0Split up = MatVecChecks.randomSplitQ8_0(r, neurons, dim);
                    IntArray gq = gate.quants();
                    HalfArray gs = gate.scales();
                    IntArray uq = up.quants();
                    HalfArray us = up.scales();
                    Quantized x = Quantized.of(r.floats(dim), dim);
                    IntArray xq = x.quants();
                    FloatArray xs = x.scales();
                    FloatArray partialLogits = LteChecks.withSumsOfSquares(r.floats(slices * (experts + 1)), slices, experts, dim);
                    IntArray[] active = LteChecks.randomActive(r, experts);
                    IntArray activeIds = active[0];
                    IntArray activeCount = active[1];
                    FloatArray hidden = new FloatArray(neurons);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("normedGateUpSiluActiveQ8_0FourNeurons", () -> QuantizedInputMatVec.normedGateUpSiluActiveQ8_0FourNeurons(
                                    ctx, gq, gs, uq, us, xq, xs, partialLogits, slices, experts, 1e-5f, activeIds, activeCount, hidden, dim,
                                    expertSize))
                            .withGrid(WorkerGrid.of(neurons / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-4, List.of(gq, gs, uq, us, xq, xs, partialLogits, activeIds, activeCount), hidden);
                }),
                Check.of(QuantizedInputMatVec.class, "downActiveQ8_0FourRows", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = 98; // not a multiple of 4: the last group has two rows
                    int expertSize = 32;
                    int experts = 80; // about 40 listed, 160 word pairs: with L = 64 a pass of two pairs per item, then single ones
                    int ffnDim = experts * expertSize;
                    Q8_0Split down = MatVecChecks.randomSplitQ8_0(r, dim, ffnDim);
                    IntArray quants = down.quants();
                    HalfArray scales = down.scales();
                    Quantized hidden = Quantized.of(r.floats(ffnDim), ffnDim);
                    IntArray hq = hidden.quants();
                    FloatArray hs = hidden.scales();
                    IntArray[] active = LteChecks.randomActive(r, experts);
                    IntArray activeIds = active[0];
                    IntArray activeCount = active[1];
                    FloatArray out = r.floats(dim);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("downActiveQ8_0FourRows", () -> QuantizedInputMatVec.downActiveQ8_0FourRows(ctx, quants, scales, hq, hs,
                                    activeIds, activeCount, out, true, dim, ffnDim, expertSize))
                            .withGrid(WorkerGrid.of((dim + 3) / 4 * LOCAL, LOCAL));
                    return prepared(t, 1e-4, List.of(quants, scales, hq, hs, activeIds, activeCount), out);
                }));
    }
}
