package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The decode-path sparse FFN on an input normed already, where compaction is its own launch
 * (model/device SparseFeedForward for F32 and Q8_0, and for fp16 where the norm is not folded in;
 * the fp16 path that norms, routes and compacts inside its gate/up is SplitRouterAndLaneSumTest's):
 * split-K router logits (norm weights of 1), compaction summing the slices against the threshold's
 * logit, gate/up over the listed experts, then for F32 and Q8_0 balanced split-K down and partial
 * sums over lanes, for fp16 the row-blocked down over the listed experts' columns, each written to
 * an output and added into a residual; against a scalar double reference, the dense SwiGLU FFN
 * with the neurons of experts whose gate is at or below tau zeroed. Also: the gate/up kernels
 * write no neuron of an inactive expert.
 */
class LteBalancedFfnTest {
    private static final int EXPERT_SIZE = 32;
    private static final int LOCAL = 16;

    enum Format { F32, F16, Q8_0 }

    /** The gate/up kernels that read the compacted list, by the weight format they read. */
    enum GateUp {
        F32(Format.F32), F16(Format.F16), Q8_0_BLOCKS(Format.Q8_0), Q8_0_SPLIT_WORDS(Format.Q8_0);

        final Format format;

        GateUp(Format format) {
            this.format = format;
        }
    }

    /** Which experts the router turns on: random logits, or every row's logit made positive or negative. */
    enum Activity { SOME, ALL, NONE }

    @ParameterizedTest(name = "{0} experts={1} slices={2} maxChunks={3} tau={4} lanes={5} {6}")
    @CsvSource({"F16, 10, 1, 4, 0.5, 4, SOME", "F16, 10, 3, 16, 0.5, 16, SOME", "F16, 7, 2, 3, 0, 2, SOME",
            "F16, 9, 4, 2, 0.9, 16, SOME", "F16, 6, 1, 4, 0.9999, 8, SOME", "F16, 10, 3, 4, 0.5, 4, ALL",
            "F32, 10, 3, 4, 0.5, 4, SOME", "F32, 6, 1, 1, 0, 1, SOME", "F32, 10, 2, 4, 0.5, 16, NONE",
            "Q8_0_BLOCKS, 10, 3, 4, 0.5, 4, SOME", "Q8_0_BLOCKS, 5, 2, 8, 0.5, 8, ALL", "Q8_0_BLOCKS, 10, 3, 4, 0.5, 4, NONE",
            "Q8_0_SPLIT_WORDS, 10, 3, 4, 0.5, 4, SOME", "Q8_0_SPLIT_WORDS, 5, 8, 8, 0, 16, SOME",
            "Q8_0_SPLIT_WORDS, 10, 2, 4, 0.5, 2, ALL"})
    void matchesTheMaskedDenseFfn(GateUp kernel, int experts, int slices, int maxChunks, float tau, int lanes, Activity activity) {
        Format format = kernel.format;
        int dim = 96;
        int neurons = experts * EXPERT_SIZE;
        RandomArrays r = new RandomArrays(experts * 31 + slices * 7 + maxChunks + kernel.ordinal() * 101 + activity.ordinal());
        FloatArray router = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        if (activity != Activity.SOME) {
            // only column 0 left, and x[0] = 1: every logit is that column's sign
            router.fill(0f);
            for (int e = 0; e < experts; e++) {
                router.set((long) e * dim, activity == Activity.ALL ? 1f : -1f);
            }
            x.set(0, 1f);
        }
        // weights as fp32 values the stored format represents exactly
        float[] gate = values(r, format, neurons, dim);
        float[] up = values(r, format, neurons, dim);
        float[] down = values(r, format, dim, neurons); // ffn_down as the model stores it: [dim, neurons]

        boolean[] active = new boolean[experts];
        int count = 0;
        for (int e = 0; e < experts; e++) {
            double z = 0;
            for (int c = 0; c < dim; c++) {
                z += (double) router.get((long) e * dim + c) * x.get(c);
            }
            active[e] = 1 / (1 + Math.exp(-z)) > tau;
            count += active[e] ? 1 : 0;
        }
        if (tau == 0 || activity == Activity.ALL) {
            assertEquals(experts, count, "every expert on");
        } else if (activity == Activity.NONE) {
            assertEquals(0, count, "no expert on");
        }
        double[] expected = new double[dim];
        double[] tolerance = new double[dim];
        Arrays.fill(tolerance, 1e-6);
        for (int n = 0; n < neurons; n++) {
            if (!active[n / EXPERT_SIZE]) {
                continue;
            }
            int neuron = n;
            Neuron.of(gate, up, x, n, dim).addOutputs(expected, tolerance, i -> down[i * neurons + neuron]);
        }
        FloatArray residual = r.floats(dim); // added to
        double[] expectedResidual = new double[dim];
        double[] residualTolerance = new double[dim];
        for (int i = 0; i < dim; i++) {
            expectedResidual[i] = residual.get(i) + expected[i];
            residualTolerance[i] = tolerance[i] + 1e-6 * Math.abs(expectedResidual[i]);
        }

        float minLogit = tau == 0 ? -Float.MAX_VALUE : (float) Math.log(tau / (1.0 - tau));
        FloatArray partialLogits = new FloatArray((long) slices * (experts + 1));
        IntArray ids = new IntArray(experts);
        IntArray activeCount = new IntArray(1);
        FloatArray hidden = new FloatArray(neurons);
        FloatArray partials = new FloatArray((long) maxChunks * dim);
        FloatArray out = r.floats(dim); // overwritten, not added to
        FloatArray ones = new FloatArray(dim);
        ones.fill(1f); // the input is normed already
        KernelContext ctx = new KernelContext();
        Task gateUp = gateUpTask(kernel, ctx, gate, up, x, ids, activeCount, hidden, dim, neurons); // one group per neuron
        int width = LOCAL / lanes;
        WorkerGrid sumGrid = WorkerGrid.of((dim + width - 1) / width * LOCAL, LOCAL);
        WorkerGrid rowsGrid = WorkerGrid.of((dim + 3) / 4 * LOCAL, LOCAL);
        // down written to out and added into residual
        Task[] downTasks = switch (format) {
            case F16 -> { // four whole output rows per group over the listed experts' columns: nothing to sum
                IntArray d = packedHalves(down);
                yield new Task[] {
                        Task.of("down", () -> Experts.downActiveF16PairsFourRows(ctx, d, hidden, ids, activeCount, out, false, dim, neurons,
                                EXPERT_SIZE)).withGrid(rowsGrid),
                        Task.of("down+", () -> Experts.downActiveF16PairsFourRows(ctx, d, hidden, ids, activeCount, residual, true, dim,
                                neurons, EXPERT_SIZE)).withGrid(rowsGrid)};
            }
            case F32 -> {
                FloatArray d = FloatArray.of(transpose(down, dim, neurons));
                yield splitKDown(Task.of("down", () -> Experts.downPartialsBalancedF32(ctx, d, hidden, ids, activeCount, partials, dim, EXPERT_SIZE,
                                maxChunks)).withGrid(WorkerGrid.covering((long) maxChunks * dim, LOCAL, Integer.MAX_VALUE)),
                        ctx, partials, activeCount, out, residual, dim, maxChunks, lanes, sumGrid);
            }
            case Q8_0 -> { // the same over the model's own Q8_0 matrix, split into quant words and scales
                Q8_0Split d = Q8_0Split.of(rawQ8_0.get(down), dim, neurons, Arena.ofAuto());
                IntArray quants = d.quants();
                HalfArray scales = d.scales();
                yield new Task[] {
                        Task.of("down", () -> Experts.downActiveQ8_0FourRows(ctx, quants, scales, hidden, ids, activeCount, out, false, dim,
                                neurons, EXPERT_SIZE)).withGrid(rowsGrid),
                        Task.of("down+", () -> Experts.downActiveQ8_0FourRows(ctx, quants, scales, hidden, ids, activeCount, residual, true,
                                dim, neurons, EXPERT_SIZE)).withGrid(rowsGrid)};
            }
        };
        // fixed grids sized for all experts, as a captured decode step launches them
        Task[] tasks = new Task[3 + downTasks.length];
        FloatArray weightedInput = new FloatArray(dim);
        IntArray noQuants = new IntArray(1); // the router does not quantize here
        FloatArray noScales = new FloatArray(1);
        tasks[0] = Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, router, x, ones, partialLogits, weightedInput, experts, dim, slices,
                false, noQuants, noScales))
                .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * LOCAL, LOCAL));
        tasks[1] = Task.of("compact", () -> Router.compactActiveExpertsSummingSlices(ctx, partialLogits, slices, minLogit, ids, activeCount, experts))
                .withGrid(WorkerGrid.of(LOCAL, LOCAL));
        tasks[2] = gateUp;
        System.arraycopy(downTasks, 0, tasks, 3, downTasks.length);
        JvmRun.execute(tasks);
        assertEquals(count, activeCount.get(0));
        int slot = 0;
        for (int e = 0; e < experts; e++) {
            if (active[e]) {
                assertEquals(e, ids.get(slot++), "active experts in ascending order");
            }
        }
        JvmRun.assertClose(expected, out, tolerance, kernel + " out");
        JvmRun.assertClose(expectedResidual, residual, residualTolerance, kernel + " residual + out");
    }

    /** Split-K down partials, then their lane sums written to {@code out} and added into {@code residual}. */
    private static Task[] splitKDown(Task partialsTask, KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                     FloatArray residual, int dim, int maxChunks, int lanes, WorkerGrid sumGrid) {
        return new Task[] {
                partialsTask,
                Task.of("sum", () -> Experts.sumDownPartialsAcrossLanes(ctx, partials, activeCount, out, dim, EXPERT_SIZE, maxChunks, lanes))
                        .withGrid(sumGrid),
                Task.of("add", () -> Experts.addDownPartialsAcrossLanes(ctx, partials, activeCount, residual, dim, EXPERT_SIZE, maxChunks, lanes))
                        .withGrid(sumGrid)};
    }

    /**
     * Only the listed experts' neurons are written: experts 1 and 3 of 4 active, the rest of
     * {@code hidden} keeps its marker; F32 and F16 over an odd width (where the decode runs the
     * one-half-per-element fp16 kernel), the loop-style kernels on fewer groups than neurons.
     */
    @ParameterizedTest
    @EnumSource(GateUp.class)
    void inactiveNeuronsAreNotWritten(GateUp kernel) {
        int experts = 4;
        int dim = kernel.format == Format.Q8_0 ? 64 : 67;
        int neurons = experts * EXPERT_SIZE;
        RandomArrays r = new RandomArrays(11 + kernel.ordinal());
        float[] gate = values(r, kernel.format, neurons, dim);
        float[] up = values(r, kernel.format, neurons, dim);
        FloatArray x = r.floats(dim);
        IntArray ids = IntArray.of(1, 3, -1, -1);
        IntArray count = IntArray.of(2);
        FloatArray hidden = new FloatArray(neurons);
        hidden.fill(42f);
        JvmRun.execute(gateUpTask(kernel, new KernelContext(), gate, up, x, ids, count, hidden, dim, 5));
        for (int n = 0; n < neurons; n++) {
            int expert = n / EXPERT_SIZE;
            if (expert == 1 || expert == 3) {
                Neuron expected = Neuron.of(gate, up, x, n, dim);
                assertEquals(expected.h(), hidden.get(n), expected.error(), "neuron " + n);
            } else {
                assertEquals(42f, hidden.get(n), 0f, "neuron " + n);
            }
        }
    }

    /**
     * The gate/up task of {@code kernel} over the listed experts: {@code groups} work-groups for
     * the kernels whose groups loop over the active neurons, one group per four neurons of all
     * experts for the Q8_0 split-words kernel (its grid is fixed).
     */
    private Task gateUpTask(GateUp kernel, KernelContext ctx, float[] gate, float[] up, FloatArray x, IntArray ids, IntArray activeCount,
                            FloatArray hidden, int dim, int groups) {
        int rows = gate.length / dim;
        Task task = switch (kernel) {
            case F32 -> {
                FloatArray g = FloatArray.of(gate);
                FloatArray u = FloatArray.of(up);
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF32(ctx, g, u, x, ids, activeCount, hidden, dim, EXPERT_SIZE));
            }
            case F16 -> {
                HalfArray g = halves(gate);
                HalfArray u = halves(up);
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF16(ctx, g, u, x, ids, activeCount, hidden, dim, EXPERT_SIZE));
            }
            case Q8_0_BLOCKS -> {
                ByteArray g = rawQ8_0.get(gate);
                ByteArray u = rawQ8_0.get(up);
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveQ8_0(ctx, g, u, x, ids, activeCount, hidden, dim, EXPERT_SIZE));
            }
            case Q8_0_SPLIT_WORDS -> {
                Q8_0Split g = Q8_0Split.of(rawQ8_0.get(gate), rows, dim, Arena.ofAuto());
                Q8_0Split u = Q8_0Split.of(rawQ8_0.get(up), rows, dim, Arena.ofAuto());
                IntArray gq = g.quants();
                HalfArray gs = g.scales();
                IntArray uq = u.quants();
                HalfArray us = u.scales();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us, x, ids, activeCount,
                        hidden, dim, EXPERT_SIZE));
            }
        };
        return task.withGrid(WorkerGrid.of((kernel == GateUp.Q8_0_SPLIT_WORDS ? rows / 4 : groups) * LOCAL, LOCAL));
    }

    /**
     * Scalar double reference of neuron n: {@code h = silu(gate_n . x) * (up_n . x)} (rows of
     * {@code dim} in {@code gate} and {@code up}), and the error fp32 dot products may add to it:
     * each is off by about 1e-6 of its sum of |terms|, times the other factor.
     */
    record Neuron(double h, double error) {
        static Neuron of(float[] gate, float[] up, FloatArray x, int n, int dim) {
            double g = 0, u = 0, gAbs = 0, uAbs = 0;
            for (int c = 0; c < dim; c++) {
                g += (double) gate[n * dim + c] * x.get(c);
                u += (double) up[n * dim + c] * x.get(c);
                gAbs += Math.abs(gate[n * dim + c] * x.get(c));
                uAbs += Math.abs(up[n * dim + c] * x.get(c));
            }
            double h = g / (1 + Math.exp(-g)) * u;
            return new Neuron(h, 2e-6 * (gAbs * Math.abs(u) + uAbs * (Math.abs(g) + 1)) + 1e-6 * Math.abs(h) + 1e-30);
        }

        /** Adds {@code h * down(i)} to every output i of {@code expected}, and its error to {@code tolerance}. */
        void addOutputs(double[] expected, double[] tolerance, IntToDoubleFunction down) {
            for (int i = 0; i < expected.length; i++) {
                double w = down.applyAsDouble(i);
                expected[i] += h * w;
                tolerance[i] += Math.abs(w) * error + 2e-6 * Math.abs(h * w);
            }
        }
    }

    /** The raw Q8_0 bytes behind the last {@link #values} of format Q8_0, by its value array. */
    private final java.util.IdentityHashMap<float[], ByteArray> rawQ8_0 = new java.util.IdentityHashMap<>();

    /** Random weights, as the fp32 values {@code format} stores (fp16 values; Q8_0 scale * quant). */
    private float[] values(RandomArrays r, Format format, int rows, int cols) {
        float[] v = new float[rows * cols];
        switch (format) {
            case F32 -> {
                try (FloatArray a = r.floats(rows * cols)) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = a.get(i);
                    }
                }
            }
            case F16 -> {
                try (HalfArray a = r.halves(rows * cols)) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = a.get(i);
                    }
                }
            }
            case Q8_0 -> {
                ByteArray a = QuantizedInputs.randomQ8_0(r, rows, cols);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) JvmRun.q8_0(a, i / cols, i % cols, cols);
                }
                rawQ8_0.put(v, a);
            }
        }
        return v;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private static HalfArray halves(float[] v) {
        HalfArray h = new HalfArray(v.length);
        for (int i = 0; i < v.length; i++) {
            h.set(i, v[i]);
        }
        return h;
    }

    /** fp16 values as packed pairs: element 2j in the low half of word j, 2j + 1 in the high half. */
    static IntArray packedHalves(float[] v) {
        try (HalfArray h = new HalfArray(v.length)) {
            for (int i = 0; i < v.length; i++) {
                h.set(i, v[i]);
            }
            IntArray w = new IntArray(v.length / 2);
            MemorySegment.copy(h.segment(), 0, w.segment(), 0, h.byteSize());
            return w;
        }
    }
}
