package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.lang.foreign.Arena;
import java.util.List;

import org.lte4j.kernels.Experts;
import org.lte4j.kernels.Q8_0Split;
import org.lte4j.kernels.Router;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The LTE sparse FFN kernels: 12 experts of 32 neurons over a model dimension of 96 (not a
 * multiple of the 64-item groups), about half the experts active, grids sized for all experts.
 */
final class LteChecks {
    private static final int EXPERTS = 12;
    private static final int EXPERT_SIZE = 32;
    private static final int DIM = 96;
    private static final int LOCAL = 64;
    /** 12 experts (48 slices of 8 neurons) over at most 5 chunks of up to 10 slices, the last one shorter. */
    private static final int MAX_CHUNKS = 5;

    private LteChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(Router.class, "logitsFourExpertsSplitK", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int experts = 45; // not a multiple of 4
                    int dim = 384;    // 3 slices of 128 columns, each quantized as 32 words by its first group (half of its items idle)
                    int slices = 3;
                    FloatArray w = r.floats(experts * dim);
                    FloatArray x = r.floats(dim);
                    FloatArray normWeight = r.floats(dim);
                    FloatArray partialLogits = new FloatArray(slices * (experts + 1)); // logits, then each slice's sum of x^2
                    FloatArray weightedInput = new FloatArray(dim);
                    IntArray quants = new IntArray(dim / 4);
                    FloatArray scales = new FloatArray(dim / 32);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("logitsFourExpertsSplitK", () -> Router.logitsFourExpertsSplitK(ctx, w, x, normWeight, partialLogits,
                                    weightedInput, experts, dim, slices, true, quants, scales))
                            .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * LOCAL, LOCAL));
                    double largest = 1;
                    for (int i = 0; i < dim; i++) {
                        largest += (double) x.get(i) * x.get(i); // above every slice's sum of squares
                    }
                    try (FloatArray y = weighted(x, normWeight, 1)) {
                        largest = Math.max(largest, Weights.of(w, dim).maxAbsRowDot(experts, dim, y));
                    }
                    // the quantization is one float product, a maximum and a rounding per element: the same on every device
                    return prepared(t, 1e-5 * largest, List.of(w, x, normWeight), partialLogits, weightedInput, quants, scales);
                }),
                Check.of(Router.class, "compactActiveExpertsOfNormedSlices", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int experts = 301;
                    int slices = 4;
                    int dim = 512;
                    FloatArray partialLogits = withSumsOfSquares(r.floats(slices * (experts + 1)), slices, experts, dim);
                    IntArray activeIds = new IntArray(experts);
                    IntArray activeCount = new IntArray(1);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("compactActiveExpertsOfNormedSlices", () -> Router.compactActiveExpertsOfNormedSlices(ctx, partialLogits,
                                    slices, 0.1f, activeIds, activeCount, experts, dim, 1e-5f))
                            .withGrid(WorkerGrid.of(LOCAL, LOCAL));
                    return prepared(t, 0, List.of(partialLogits), activeIds, activeCount);
                }),
                Check.of(Router.class, "compactActiveExpertsSummingSlices", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int experts = 301;
                    int slices = 4;
                    FloatArray partialLogits = r.floats(slices * experts); // sums of four N(0,1)-ish values around 0
                    IntArray activeIds = new IntArray(experts);
                    IntArray activeCount = new IntArray(1);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("compactActiveExpertsSummingSlices", () -> Router.compactActiveExpertsSummingSlices(ctx, partialLogits, slices,
                                    0.1f, activeIds, activeCount, experts))
                            .withGrid(WorkerGrid.of(LOCAL, LOCAL));
                    return prepared(t, 0, List.of(partialLogits), activeIds, activeCount);
                }),
                laneSumCheck("sumDownPartialsAcrossLanes"),
                laneSumCheck("addDownPartialsAcrossLanes"),
                normedListedGateUpF16Check(),
                gateUpSplitWordsCheck("gateUpSiluActiveQ8_0SplitWordsFourNeurons"),
                gateUpSplitWordsCheck("normedGateUpSiluActiveQ8_0SplitWordsFourNeurons"),
                balancedDownCheck("downPartialsBalancedF32"),
                activeRowsDownCheck(),
                activeRowsDownQ8_0Check(),
                gateUpCheck("gateUpSiluActiveF32", Format.F32),
                gateUpCheck("gateUpSiluActiveF16", Format.F16),
                gateUpCheck("gateUpSiluActiveQ8_0", Format.Q8_0));
    }

    enum Format { F32, F16, Q8_0 }

    /** The lane-parallel partial sums: 16 lanes over groups of 64 (4 outputs per group), fewer groups than tiles. */
    private static KernelCheck laneSumCheck(String kernel) {
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int maxChunks = 40;
            int lanes = 16;
            FloatArray partials = r.floats(maxChunks * dim);
            IntArray activeCount = IntArray.of(r.nextInt(EXPERTS + 1)); // up to 48 slices: 24 to 40 chunks, or none
            FloatArray out = r.floats(dim);
            KernelContext ctx = new KernelContext();
            Task t = kernel.startsWith("add")
                    ? Task.of(kernel, () -> Experts.addDownPartialsAcrossLanes(ctx, partials, activeCount, out, dim, EXPERT_SIZE, maxChunks, lanes))
                    : Task.of(kernel, () -> Experts.sumDownPartialsAcrossLanes(ctx, partials, activeCount, out, dim, EXPERT_SIZE, maxChunks, lanes));
            t = t.withGrid(WorkerGrid.of(5 * LOCAL, LOCAL));
            return prepared(t, 1e-6 * (maxChunks + 2), List.of(partials, activeCount, out), out);
        });
    }

    /** A random {@code rows x cols} matrix in {@code format}, with its element view. */
    record Matrix(NativeArray array, Weights weights) {
        static Matrix random(RandomArrays r, Format format, int rows, int cols) {
            return switch (format) {
                case F32 -> {
                    FloatArray a = r.floats(rows * cols);
                    yield new Matrix(a, Weights.of(a, cols));
                }
                case F16 -> {
                    HalfArray a = r.halves(rows * cols);
                    yield new Matrix(a, Weights.of(a, cols));
                }
                case Q8_0 -> {
                    ByteArray a = QuantizedInputs.randomQ8_0(r, rows, cols);
                    yield new Matrix(a, Weights.ofQ8_0(a, cols));
                }
            };
        }
    }

    /** A random ascending set of active experts: ids in {@code [0, count)}, count in {@code [0]}. */
    static IntArray[] randomActive(RandomArrays r, int experts) {
        IntArray ids = new IntArray(experts);
        int count = 0;
        for (int e = 0; e < experts; e++) {
            if (r.nextInt(2) == 1) {
                ids.set(count++, e);
            }
        }
        return new IntArray[] {ids, IntArray.of(count)};
    }

    private static KernelCheck gateUpCheck(String kernel, Format format) {
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int expertSize = EXPERT_SIZE;
            int neurons = EXPERTS * expertSize;
            Matrix gate = Matrix.random(r, format, neurons, dim);
            Matrix up = Matrix.random(r, format, neurons, dim);
            FloatArray x = r.floats(dim);
            IntArray[] active = randomActive(r, EXPERTS);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray hidden = new FloatArray(neurons);
            KernelContext ctx = new KernelContext();
            Task t = switch (format) {
                case F32 -> {
                    FloatArray g = (FloatArray) gate.array();
                    FloatArray u = (FloatArray) up.array();
                    yield Task.of(kernel, () -> Experts.gateUpSiluActiveF32(ctx, g, u, x, activeIds, activeCount, hidden, dim, expertSize));
                }
                case F16 -> {
                    HalfArray g = (HalfArray) gate.array();
                    HalfArray u = (HalfArray) up.array();
                    yield Task.of(kernel, () -> Experts.gateUpSiluActiveF16(ctx, g, u, x, activeIds, activeCount, hidden, dim, expertSize));
                }
                case Q8_0 -> {
                    ByteArray g = (ByteArray) gate.array();
                    ByteArray u = (ByteArray) up.array();
                    yield Task.of(kernel, () -> Experts.gateUpSiluActiveQ8_0(ctx, g, u, x, activeIds, activeCount, hidden, dim, expertSize));
                }
            };
            t = t.withGrid(WorkerGrid.of(neurons * LOCAL, LOCAL));
            return prepared(t, siluProductTolerance(gate.weights(), up.weights(), neurons, dim, x),
                    List.of(gate.array(), up.array(), x, activeIds, activeCount), hidden);
        });
    }

    /**
     * The tolerance of {@code silu(gate_n . x) * (up_n . x)} over {@code rows} neurons: each factor
     * carries about 1e-5 of its row's scale S (the largest sum of |w x|), times the other factor
     * (at most M, the largest |w . x|).
     */
    static double siluProductTolerance(Weights gate, Weights up, int rows, int cols, FloatArray x) {
        double s = Math.max(gate.maxAbsRowDot(rows, cols, x), up.maxAbsRowDot(rows, cols, x));
        double m = Math.max(gate.maxAbsRowValue(rows, cols, x), up.maxAbsRowValue(rows, cols, x));
        return 1e-5 * Math.max(1, s) * Math.max(1, m);
    }

    /** Element view of fp16 weights stored as packed pairs (element 2j in the low half of word j). */
    static Weights packedHalfWeights(IntArray words, int cols) {
        return (row, col) -> {
            long i = row * cols + col;
            int w = words.get(i / 2);
            return Float.float16ToFloat((short) (i % 2 == 0 ? w : w >>> 16));
        };
    }

    /** {@code x * normWeight * scale}, element by element (a host-side vector for tolerances; the caller closes it). */
    static FloatArray weighted(FloatArray x, FloatArray normWeight, double scale) {
        FloatArray y = new FloatArray(x.getSize());
        for (long i = 0; i < x.getSize(); i++) {
            y.set(i, (float) (x.get(i) * normWeight.get(i) * scale));
        }
        return y;
    }

    /**
     * The fp16 gate/up with the FFN's RMSNorm folded in, over a list of active experts, on a
     * weighted input whose norm scale comes from the slices' sums of squares after the partial
     * logits (3 slices), on its grid of one group per neuron pair of all experts (the decode's).
     */
    private static KernelCheck normedListedGateUpF16Check() {
        String kernel = "normedGateUpSiluActiveF16Pairs";
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int expertSize = EXPERT_SIZE;
            int experts = EXPERTS;
            int neurons = experts * expertSize;
            int slices = 3;
            float eps = 1e-5f;
            IntArray gate = MatVecChecks.packedHalves(r, neurons, dim);
            IntArray up = MatVecChecks.packedHalves(r, neurons, dim);
            FloatArray weightedInput = r.floats(dim); // x * normWeight, as the router leaves it
            FloatArray partialLogits = withSumsOfSquares(r.floats(slices * (experts + 1)), slices, experts, dim);
            double squares = 0;
            for (int s = 0; s < slices; s++) {
                squares += partialLogits.get((long) slices * experts + s);
            }
            IntArray[] active = randomActive(r, experts);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray hidden = new FloatArray(neurons); // unlisted neurons stay 0 on both sides
            KernelContext ctx = new KernelContext();
            Task t = Task.of(kernel, () -> Experts.normedGateUpSiluActiveF16Pairs(ctx, gate, up, weightedInput, partialLogits, slices,
                            experts, eps, activeIds, activeCount, hidden, dim, expertSize))
                    .withGrid(WorkerGrid.of(neurons / 2 * LOCAL, LOCAL));
            Weights g = packedHalfWeights(gate, dim);
            Weights u = packedHalfWeights(up, dim);
            double tolerance;
            try (FloatArray xn = new FloatArray(dim)) { // the normed input: the weighted input times the norm's scale
                double scale = 1 / Math.sqrt(squares / dim + eps);
                for (int i = 0; i < dim; i++) {
                    xn.set(i, (float) (weightedInput.get(i) * scale));
                }
                tolerance = siluProductTolerance(g, u, neurons, dim, xn);
            }
            return prepared(t, tolerance, List.of(gate, up, weightedInput, partialLogits, activeIds, activeCount), hidden);
        });
    }

    /**
     * The split Q8_0 gate/up over a list of active experts, on a plain input or (the normed kernel)
     * on a weighted input whose norm scale comes from the slices' sums of squares after the
     * partial logits.
     */
    private static KernelCheck gateUpSplitWordsCheck(String kernel) {
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int expertSize = EXPERT_SIZE;
            int experts = EXPERTS;
            int neurons = experts * expertSize;
            int slices = 3;
            float eps = 1e-5f;
            ByteArray gateBlocks = QuantizedInputs.randomQ8_0(r, neurons, dim);
            ByteArray upBlocks = QuantizedInputs.randomQ8_0(r, neurons, dim);
            Q8_0Split gate = Q8_0Split.of(gateBlocks, neurons, dim, Arena.ofAuto());
            Q8_0Split up = Q8_0Split.of(upBlocks, neurons, dim, Arena.ofAuto());
            FloatArray x = r.floats(dim);
            FloatArray partialLogits = withSumsOfSquares(r.floats(slices * (experts + 1)), slices, experts, dim);
            IntArray[] active = randomActive(r, experts);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray hidden = new FloatArray(neurons);
            KernelContext ctx = new KernelContext();
            IntArray gq = gate.quants();
            HalfArray gs = gate.scales();
            IntArray uq = up.quants();
            HalfArray us = up.scales();
            boolean normed = kernel.startsWith("normed");
            Task t = normed
                    ? Task.of(kernel, () -> Experts.normedGateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us, x, partialLogits,
                            slices, experts, eps, activeIds, activeCount, hidden, dim, expertSize))
                    : Task.of(kernel, () -> Experts.gateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us, x, activeIds, activeCount,
                            hidden, dim, expertSize));
            t = t.withGrid(WorkerGrid.of(neurons / 4 * LOCAL, LOCAL));
            Weights g = Weights.ofQ8_0(gateBlocks, dim);
            Weights u = Weights.ofQ8_0(upBlocks, dim);
            double squares = 0;
            for (int s = 0; s < slices; s++) {
                squares += partialLogits.get((long) slices * experts + s);
            }
            double tolerance;
            try (FloatArray ones = new FloatArray(dim)) {
                ones.fill(1f);
                FloatArray xn = weighted(x, ones, normed ? 1 / Math.sqrt(squares / dim + eps) : 1);
                tolerance = siluProductTolerance(g, u, neurons, dim, xn);
                xn.close();
            }
            return prepared(t, tolerance, List.of(gq, gs, uq, us, x, partialLogits, activeIds, activeCount), hidden);
        });
    }

    /**
     * {@code partialLogits} with the slices' sums of squares (after the {@code slices * experts}
     * logits) made positive, about {@code dim / slices} each: a norm scale near 1, as the router
     * leaves them.
     */
    static FloatArray withSumsOfSquares(FloatArray partialLogits, int slices, int experts, int dim) {
        for (int s = 0; s < slices; s++) {
            long at = (long) slices * experts + s;
            partialLogits.set(at, (float) dim / slices * (0.5f + Math.abs(partialLogits.get(at))));
        }
        return partialLogits;
    }

    /** The balanced split-K down kernel over F32 transposed ({@code neurons x dim}). */
    private static KernelCheck balancedDownCheck(String kernel) {
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM;
            int expertSize = EXPERT_SIZE;
            int maxChunks = MAX_CHUNKS;
            int neurons = EXPERTS * expertSize;
            FloatArray hidden = r.floats(neurons);
            IntArray[] active = randomActive(r, EXPERTS);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray partials = new FloatArray(maxChunks * dim);
            KernelContext ctx = new KernelContext();
            FloatArray down = r.floats(neurons * dim);
            Weights at = Weights.of(down, dim); // at(n, i): neuron n's weight for output i
            Task t = Task.of(kernel, () -> Experts.downPartialsBalancedF32(ctx, down, hidden, activeIds, activeCount, partials, dim, expertSize,
                            maxChunks))
                    .withGrid(WorkerGrid.covering((long) maxChunks * dim, LOCAL, Integer.MAX_VALUE));
            double scale = 0;
            for (int i = 0; i < dim; i++) {
                double s = 0;
                for (int n = 0; n < neurons; n++) {
                    s += Math.abs(hidden.get(n) * at.at(n, i));
                }
                scale = Math.max(scale, s);
            }
            return prepared(t, 1e-5 * Math.max(1, scale), List.of(down, hidden, activeIds, activeCount), partials);
        });
    }

    /**
     * The row-blocked down projection over the active experts (the model's own [dim, ffnDim] fp16
     * matrix), adding into a random vector (the decode's residual add; the sum alone is the
     * same code path without the read).
     */
    private static KernelCheck activeRowsDownCheck() {
        String kernel = "downActiveF16PairsFourRows";
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM + 2; // not a multiple of 4: the last group has two rows
            int expertSize = EXPERT_SIZE;
            int ffnDim = EXPERTS * expertSize;
            IntArray down = MatVecChecks.packedHalves(r, dim, ffnDim);
            FloatArray hidden = r.floats(ffnDim);
            IntArray[] active = randomActive(r, EXPERTS);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray out = r.floats(dim);
            KernelContext ctx = new KernelContext();
            Task t = Task.of(kernel, () -> Experts.downActiveF16PairsFourRows(ctx, down, hidden, activeIds, activeCount, out, true,
                            dim, ffnDim, expertSize))
                    .withGrid(WorkerGrid.of((dim + 3) / 4 * LOCAL, LOCAL));
            return prepared(t, 1e-5 * Math.max(1, packedHalfWeights(down, ffnDim).maxAbsRowDot(dim, ffnDim, hidden)),
                    List.of(down, hidden, activeIds, activeCount), out);
        });
    }

    /** The row-blocked down projection over the active experts of the model's own Q8_0 matrix, split, adding into a random vector. */
    private static KernelCheck activeRowsDownQ8_0Check() {
        String kernel = "downActiveQ8_0FourRows";
        return Check.of(Experts.class, kernel, seed -> {
            RandomArrays r = new RandomArrays(seed);
            int dim = DIM + 2; // not a multiple of 4: the last group has two rows
            int expertSize = EXPERT_SIZE;
            int experts = 80; // about 40 active, 320 word slots: with L = 64 a pass of four slots per item, then single ones
            int ffnDim = experts * expertSize;
            ByteArray blocks = QuantizedInputs.randomQ8_0(r, dim, ffnDim);
            Q8_0Split split = Q8_0Split.of(blocks, dim, ffnDim, Arena.ofAuto());
            IntArray quants = split.quants();
            HalfArray scales = split.scales();
            FloatArray hidden = r.floats(ffnDim);
            IntArray[] active = randomActive(r, experts);
            IntArray activeIds = active[0];
            IntArray activeCount = active[1];
            FloatArray out = r.floats(dim);
            KernelContext ctx = new KernelContext();
            Task t = Task.of(kernel, () -> Experts.downActiveQ8_0FourRows(ctx, quants, scales, hidden, activeIds, activeCount, out, true,
                            dim, ffnDim, expertSize))
                    .withGrid(WorkerGrid.of((dim + 3) / 4 * LOCAL, LOCAL));
            return prepared(t, 1e-5 * Math.max(1, Weights.ofQ8_0(blocks, ffnDim).maxAbsRowDot(dim, ffnDim, hidden)),
                    List.of(quants, scales, hidden, activeIds, activeCount), out);
        });
    }
}
