package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
 * The decode-path sparse FFN (router logits, compaction against the threshold's logit, packed-pair
 * fp16 gate/up over two neurons per group, balanced split-K down, partial sums written to the
 * output) against a scalar double reference: the dense SwiGLU FFN with the neurons of experts
 * whose gate is at or below tau zeroed.
 */
class LteBalancedFfnTest {
    private static final int EXPERT_SIZE = 32;
    private static final int LOCAL = 16;

    enum Format { F32, F16, Q8_0 }

    @ParameterizedTest(name = "{0} experts={1} maxChunks={2} tau={3}")
    @CsvSource({"F16, 10, 4, 0.5", "F16, 10, 16, 0.5", "F16, 7, 3, 0", "F16, 9, 2, 0.9", "F32, 10, 4, 0.5", "F32, 6, 1, 0",
            "Q8_0, 10, 4, 0.5", "Q8_0, 5, 8, 0", "F16, 6, 4, 0.9999"})
    void matchesTheMaskedDenseFfn(Format format, int experts, int maxChunks, float tau) {
        int dim = 96;
        int neurons = experts * EXPERT_SIZE;
        RandomArrays r = new RandomArrays(experts * 31 + maxChunks + format.ordinal());
        FloatArray router = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
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
        if (tau == 0) {
            assertEquals(experts, count, "tau 0 turns every expert on");
        }
        double[] expected = new double[dim];
        double[] tolerance = new double[dim];
        Arrays.fill(tolerance, 1e-6);
        for (int n = 0; n < neurons; n++) {
            if (!active[n / EXPERT_SIZE]) {
                continue;
            }
            double g = 0, u = 0, gAbs = 0, uAbs = 0;
            for (int c = 0; c < dim; c++) {
                g += (double) gate[n * dim + c] * x.get(c);
                u += (double) up[n * dim + c] * x.get(c);
                gAbs += Math.abs(gate[n * dim + c] * x.get(c));
                uAbs += Math.abs(up[n * dim + c] * x.get(c));
            }
            double h = g / (1 + Math.exp(-g)) * u;
            double hError = 2e-6 * (gAbs * Math.abs(u) + uAbs * (Math.abs(g) + 1)) + 1e-6 * Math.abs(h);
            for (int i = 0; i < dim; i++) {
                double w = down[i * neurons + n];
                expected[i] += h * w;
                tolerance[i] += Math.abs(w) * hError + 2e-6 * Math.abs(h * w);
            }
        }

        float minLogit = tau == 0 ? -Float.MAX_VALUE : (float) Math.log(tau / (1.0 - tau));
        FloatArray logits = new FloatArray(experts);
        IntArray ids = new IntArray(experts);
        IntArray activeCount = new IntArray(1);
        FloatArray hidden = new FloatArray(neurons);
        FloatArray partials = new FloatArray((long) maxChunks * dim);
        FloatArray out = r.floats(dim); // overwritten, not added to
        KernelContext ctx = new KernelContext();
        Task gateUp;
        Task downTask;
        switch (format) {
            case F16 -> {
                IntArray g = packedHalves(gate);
                IntArray u = packedHalves(up);
                IntArray d = packedHalves(transpose(down, dim, neurons));
                gateUp = Task.of("gateUp", () -> Experts.gateUpSiluActiveF16PairsTwoNeurons(ctx, g, u, x, ids, activeCount, hidden, dim, EXPERT_SIZE))
                        .withGrid(WorkerGrid.of(neurons / 2 * LOCAL, LOCAL));
                downTask = Task.of("down", () -> Experts.downPartialsBalancedF16Pairs(ctx, d, hidden, ids, activeCount, partials, dim, EXPERT_SIZE, maxChunks))
                        .withGrid(WorkerGrid.covering((long) maxChunks * dim / 2, LOCAL, Integer.MAX_VALUE));
            }
            case F32 -> {
                FloatArray g = FloatArray.of(gate);
                FloatArray u = FloatArray.of(up);
                FloatArray d = FloatArray.of(transpose(down, dim, neurons));
                gateUp = Task.of("gateUp", () -> Experts.gateUpSiluActiveF32(ctx, g, u, x, ids, activeCount, hidden, dim, EXPERT_SIZE))
                        .withGrid(WorkerGrid.of(neurons * LOCAL, LOCAL));
                downTask = Task.of("down", () -> Experts.downPartialsBalancedF32(ctx, d, hidden, ids, activeCount, partials, dim, EXPERT_SIZE, maxChunks))
                        .withGrid(WorkerGrid.covering((long) maxChunks * dim, LOCAL, Integer.MAX_VALUE));
            }
            case Q8_0 -> {
                Q8_0Split g = Q8_0Split.of(rawQ8_0.get(gate), neurons, dim, Arena.ofAuto());
                Q8_0Split u = Q8_0Split.of(rawQ8_0.get(up), neurons, dim, Arena.ofAuto());
                ByteArray d = expertMajorBlocks(rawQ8_0.get(down), dim, neurons);
                IntArray gq = g.quants();
                HalfArray gs = g.scales();
                IntArray uq = u.quants();
                HalfArray us = u.scales();
                gateUp = Task.of("gateUp", () -> Experts.gateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us, x, ids, activeCount,
                                hidden, dim, EXPERT_SIZE))
                        .withGrid(WorkerGrid.of(neurons / 4 * LOCAL, LOCAL));
                downTask = Task.of("down", () -> Experts.downPartialsBalancedQ8_0ExpertMajor(ctx, d, hidden, ids, activeCount, partials, dim, EXPERT_SIZE, maxChunks))
                        .withGrid(WorkerGrid.covering((long) maxChunks * dim, LOCAL, Integer.MAX_VALUE));
            }
            default -> throw new IllegalStateException();
        }
        JvmRun.execute(
                Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, router, x, logits, experts, dim, 1))
                        .withGrid(WorkerGrid.of((experts + 3) / 4 * LOCAL, LOCAL)),
                Task.of("compact", () -> Router.compactActiveExperts(ctx, logits, minLogit, ids, activeCount, experts))
                        .withGrid(WorkerGrid.of(LOCAL, LOCAL)),
                gateUp,
                downTask,
                Task.of("sum", () -> Experts.sumDownPartialsBalanced(ctx, partials, activeCount, out, dim, EXPERT_SIZE, maxChunks))
                        .withGrid(WorkerGrid.of(32, 16)));
        assertEquals(count, activeCount.get(0));
        int slot = 0;
        for (int e = 0; e < experts; e++) {
            if (active[e]) {
                assertEquals(e, ids.get(slot++), "active experts in ascending order");
            }
        }
        JvmRun.assertClose(expected, out, tolerance, format + " out");
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

    private static IntArray packedHalves(float[] v) {
        try (HalfArray h = new HalfArray(v.length)) {
            for (int i = 0; i < v.length; i++) {
                h.set(i, v[i]);
            }
            IntArray w = new IntArray(v.length / 2);
            MemorySegment.copy(h.segment(), 0, w.segment(), 0, h.byteSize());
            return w;
        }
    }

    /** Q8_0 {@code [dim, neurons]} (one block per expert slice of a row) regrouped to {@code [experts * dim, 32]} by block copies. */
    private static ByteArray expertMajorBlocks(ByteArray down, int dim, int neurons) {
        int experts = neurons / EXPERT_SIZE;
        ByteArray out = new ByteArray(down.getSize());
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < dim; i++) {
                MemorySegment.copy(down.segment(), ((long) i * experts + e) * 34, out.segment(), ((long) e * dim + i) * 34, 34);
            }
        }
        return out;
    }
}
