package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The split-K router ({@link Router#logitsFourExpertsSplitK} over a weighted input, with each
 * slice's sum of squares, then {@link Router#compactActiveExpertsSummingSlices}) and the
 * lane-parallel down partial sums ({@link Experts#sumDownPartialsAcrossLanes},
 * {@link Experts#addDownPartialsAcrossLanes}) on the JVM, against scalar references; the
 * compaction that scales the logits by the norm ({@link Router#compactActiveExpertsOfNormedSlices})
 * followed by the fp16 gate/up with the FFN's RMSNorm folded in over its list
 * ({@link Experts#normedGateUpSiluActiveF16Pairs}); and the fp16 decode FFN built from them
 * (router on the raw residual, compaction, that gate/up, the row-blocked down adding into the
 * residual) against the dense SwiGLU FFN on the normed input with the inactive experts' neurons
 * zeroed, all in double.
 */
class SplitRouterAndLaneSumTest {

    @ParameterizedTest(name = "experts={0} dim={1} slices={2} L={3}")
    @CsvSource({"45, 200, 1, 16", "45, 200, 3, 16", "45, 200, 8, 16", "12, 96, 7, 8", "5, 33, 16, 4", "344, 128, 4, 32"})
    void splitKRouterListsTheExpertsAboveTheThreshold(int experts, int dim, int slices, int local) {
        RandomArrays r = new RandomArrays(experts * 7L + dim + slices);
        FloatArray w = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        FloatArray normWeight = r.floats(dim);
        float minLogit = 0.25f;
        double[] z = new double[experts];
        double[] abs = new double[experts];
        for (int e = 0; e < experts; e++) {
            for (int c = 0; c < dim; c++) {
                double p = (double) w.get((long) e * dim + c) * x.get(c) * normWeight.get(c);
                z[e] += p;
                abs[e] += Math.abs(p);
            }
        }
        FloatArray partials = r.floats(slices * (experts + 1)); // every slot is overwritten
        FloatArray weightedInput = r.floats(dim); // every element is overwritten
        IntArray ids = new IntArray(experts);
        IntArray count = new IntArray(1);
        KernelContext ctx = new KernelContext();
        IntArray noQuants = new IntArray(1); // the router does not quantize here
        FloatArray noScales = new FloatArray(1);
        JvmRun.execute(
                Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, w, x, normWeight, partials, weightedInput, experts, dim, slices,
                                false, noQuants, noScales))
                        .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local)),
                Task.of("compact", () -> Router.compactActiveExpertsSummingSlices(ctx, partials, slices, minLogit, ids, count, experts))
                        .withGrid(WorkerGrid.of(local, local)));
        for (int c = 0; c < dim; c++) {
            assertEquals(x.get(c) * normWeight.get(c), weightedInput.get(c), 0f, "weighted input " + c);
        }
        int run = (dim + slices - 1) / slices;
        for (int s = 0; s < slices; s++) { // each slice's sum of x^2, after the logits
            double squares = 0;
            for (int c = s * run; c < Math.min(dim, (s + 1) * run); c++) {
                squares += (double) x.get(c) * x.get(c);
            }
            assertEquals(squares, partials.get((long) slices * experts + s), 1e-6 * (1 + squares), "sum of squares of slice " + s);
        }
        int slot = 0;
        int ambiguous = 0;
        for (int e = 0; e < experts; e++) {
            float sum = Router.sumSlices(partials, slices, experts, e);
            double tolerance = 1e-5 * Math.max(1, abs[e]);
            assertEquals(z[e], sum, tolerance, "logit of expert " + e);
            boolean listed = slot < count.get(0) && ids.get(slot) == e;
            assertEquals(sum > minLogit, listed, "expert " + e + " listed exactly when its summed logit is above the threshold");
            if (listed) {
                slot++;
            }
            if (Math.abs(z[e] - minLogit) > tolerance) {
                assertEquals(z[e] > minLogit, listed, "expert " + e + " (logit " + z[e] + ")");
            } else {
                ambiguous++;
            }
        }
        assertEquals(slot, count.get(0), "count");
        assertTrue(count.get(0) > 0 && count.get(0) < experts - ambiguous, "some experts on, some off");
    }

    /**
     * Compaction alone: the ids of the experts whose slices, added in ascending order, exceed
     * {@code minLogit}, in ascending order, then the count; slots from the count on keep what
     * they held. One expert, fewer experts than items, more than one run per item, all and none.
     */
    @ParameterizedTest(name = "experts={0} L={1} slices={2} minLogit={3}")
    @CsvSource({"1, 32, 1, 0", "31, 32, 3, 0", "301, 64, 4, 0.1", "100, 32, 2, -1000", "100, 32, 2, 1000", "5, 64, 8, 0",
            "2048, 256, 8, 0.5"})
    void compactionListsActiveExpertsInAscendingOrder(int experts, int local, int slices, float minLogit) {
        RandomArrays r = new RandomArrays(experts * 3L + local + slices);
        FloatArray partialLogits = r.floats(slices * experts);
        List<Integer> expected = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            float z = 0f;
            for (int s = 0; s < slices; s++) {
                z += partialLogits.get((long) s * experts + e);
            }
            if (z > minLogit) {
                expected.add(e);
            }
        }
        IntArray ids = new IntArray(experts);
        ids.fill(-7);
        IntArray count = IntArray.of(-1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("compact", () -> Router.compactActiveExpertsSummingSlices(ctx, partialLogits, slices, minLogit, ids, count, experts))
                .withGrid(WorkerGrid.of(local, local)));
        assertEquals(expected.size(), count.get(0));
        for (int s = 0; s < experts; s++) {
            assertEquals(s < expected.size() ? expected.get(s) : -7, ids.get(s), "slot " + s);
        }
        if (minLogit == -1000) {
            assertEquals(experts, count.get(0), "all");
        } else if (minLogit == 1000) {
            assertEquals(0, count.get(0), "none");
        }
    }

    @ParameterizedTest(name = "dim={0} maxChunks={1} active={2} lanes={3} L={4} groups={5}")
    @CsvSource({"96, 5, 12, 4, 16, 100", "100, 128, 172, 16, 64, 100", "100, 128, 3, 16, 64, 1", "96, 7, 0, 8, 8, 100",
            "33, 9, 9, 1, 4, 3", "1024, 128, 40, 16, 64, 4"})
    void laneSumsAddTheChunksInUse(int dim, int maxChunks, int active, int lanes, int local, int maxGroups) {
        int expertSize = 32;
        RandomArrays r = new RandomArrays(dim * 31L + maxChunks + active);
        FloatArray partials = r.floats(maxChunks * dim);
        IntArray activeCount = IntArray.of(active);
        int chunks = Experts.balancedChunks(active * (expertSize / Experts.DOWN_SLICE), maxChunks);
        assertTrue(chunks <= maxChunks);
        double[] sum = new double[dim];
        double[] tolerance = new double[dim];
        for (int i = 0; i < dim; i++) {
            double abs = 0;
            for (int k = 0; k < chunks; k++) {
                sum[i] += partials.get((long) k * dim + i);
                abs += Math.abs(partials.get((long) k * dim + i));
            }
            tolerance[i] = 1e-6 * (abs + 1);
        }
        FloatArray written = r.floats(dim); // overwritten
        FloatArray residual = r.floats(dim); // added to
        double[] expectedResidual = new double[dim];
        for (int i = 0; i < dim; i++) {
            expectedResidual[i] = residual.get(i) + sum[i];
        }
        int width = local / lanes;
        int groups = Math.min(maxGroups, (dim + width - 1) / width); // fewer groups loop over tiles
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("sum", () -> Experts.sumDownPartialsAcrossLanes(ctx, partials, activeCount, written, dim, expertSize, maxChunks, lanes))
                        .withGrid(WorkerGrid.of(groups * local, local)),
                Task.of("add", () -> Experts.addDownPartialsAcrossLanes(ctx, partials, activeCount, residual, dim, expertSize, maxChunks, lanes))
                        .withGrid(WorkerGrid.of(groups * local, local)));
        JvmRun.assertClose(sum, written, tolerance, "written sum");
        JvmRun.assertClose(expectedResidual, residual, tolerance, "residual + sum");
    }

    /**
     * The fp16 decode FFN of a layer in its four launches: the router on the raw residual x and
     * the norm weight, the compaction with the norm's scale, the gate/up over the list that norms,
     * the row-blocked down adding into x; against x + the dense SwiGLU FFN of {@code xn = RMSNorm(x) * normWeight}
     * in double, with the neurons of the experts whose gate {@code sigmoid(router . xn)} is at or
     * below tau zeroed. Inputs of very different sizes ({@code xScale}) give the same active set:
     * the norm is folded in, not skipped.
     */
    @ParameterizedTest(name = "experts={0} slices={1} tau={2} L={3} xScale={4}")
    @CsvSource({"10, 3, 0.5, 16, 1", "10, 1, 0.5, 16, 1", "7, 6, 0, 8, 1", "9, 2, 0.9, 16, 30", "6, 4, 0.9999, 8, 1",
            "12, 8, 0.3, 16, 0.01", "40, 8, 0.5, 32, 3"})
    void fp16DecodeFfnAddsTheMaskedDenseFfnOfTheNormedInputToTheResidual(int experts, int slices, float tau, int local, float xScale) {
        int expertSize = 32;
        int dim = 96;
        float eps = 1e-5f;
        int neurons = experts * expertSize;
        RandomArrays r = new RandomArrays(experts * 13L + slices + local);
        FloatArray router = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        for (int i = 0; i < dim; i++) {
            x.set(i, x.get(i) * xScale);
        }
        FloatArray normWeight = r.floats(dim);
        float[] gate = halves(r, neurons * dim);
        float[] up = halves(r, neurons * dim);
        float[] down = halves(r, dim * neurons); // ffn_down as the model stores it: [dim, neurons]
        FloatArray xn = normed(x, normWeight, eps);
        boolean[] active = new boolean[experts];
        int count = 0;
        for (int e = 0; e < experts; e++) {
            double z = 0;
            for (int c = 0; c < dim; c++) {
                z += (double) router.get((long) e * dim + c) * xn.get(c);
            }
            active[e] = 1 / (1 + Math.exp(-z)) > tau;
            count += active[e] ? 1 : 0;
        }
        double[] expected = new double[dim];
        double[] tolerance = new double[dim];
        for (int i = 0; i < dim; i++) {
            expected[i] = x.get(i);
            tolerance[i] = 1e-6 * (1 + Math.abs(expected[i]));
        }
        for (int n = 0; n < neurons; n++) {
            if (!active[n / expertSize]) {
                continue;
            }
            int neuron = n;
            LteBalancedFfnTest.Neuron.of(gate, up, xn, n, dim).addOutputs(expected, tolerance, i -> down[i * neurons + neuron]);
        }
        float minLogit = tau == 0 ? -Float.MAX_VALUE : (float) Math.log(tau / (1.0 - tau));
        FloatArray partialLogits = new FloatArray(slices * (experts + 1));
        IntArray ids = new IntArray(experts);
        IntArray activeCount = new IntArray(1);
        FloatArray hidden = new FloatArray(neurons);
        IntArray g = LteBalancedFfnTest.packedHalves(gate);
        IntArray u = LteBalancedFfnTest.packedHalves(up);
        IntArray d = LteBalancedFfnTest.packedHalves(down);
        FloatArray weightedInput = new FloatArray(dim);
        KernelContext ctx = new KernelContext();
        IntArray noQuants = new IntArray(1); // the router does not quantize here
        FloatArray noScales = new FloatArray(1);
        JvmRun.execute(
                Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, router, x, normWeight, partialLogits, weightedInput, experts,
                                dim, slices, false, noQuants, noScales))
                        .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local)),
                Task.of("compact", () -> Router.compactActiveExpertsOfNormedSlices(ctx, partialLogits, slices, minLogit, ids, activeCount,
                                experts, dim, eps))
                        .withGrid(WorkerGrid.of(local, local)),
                Task.of("gateUp", () -> Experts.normedGateUpSiluActiveF16Pairs(ctx, g, u, weightedInput, partialLogits, slices, experts, eps,
                                ids, activeCount, hidden, dim, expertSize))
                        .withGrid(WorkerGrid.of(neurons / 2 * local, local)),
                Task.of("down", () -> Experts.downActiveF16PairsFourRows(ctx, d, hidden, ids, activeCount, x, true, dim, neurons, expertSize))
                        .withGrid(WorkerGrid.of((dim + 3) / 4 * local, local)));
        assertEquals(count, activeCount.get(0), "active experts");
        int slot = 0;
        for (int e = 0; e < experts; e++) {
            if (active[e]) {
                assertEquals(e, ids.get(slot++), "active experts in ascending order");
            }
        }
        if (tau == 0) {
            assertEquals(experts, count, "tau 0 turns every expert on");
        } else {
            assertTrue(count < experts, "some expert off");
        }
        JvmRun.assertClose(expected, x, tolerance, "residual + FFN");
    }

    /**
     * {@link Router#compactActiveExpertsOfNormedSlices} then {@link Experts#normedGateUpSiluActiveF16Pairs}
     * on given partial logits: the list and count written are the experts whose slice sum times the norm's scale from
     * the slices' sums of squares is above the threshold (compared in double where not within
     * rounding of it; the squares put the scale near {@code 1 / sqrt(meanSquare)}, so with
     * {@code scaleDecides} some expert is on only unscaled or only scaled), every listed neuron is
     * the scalar double SwiGLU of its rows on the weighted input times that scale (the router's
     * squares: the kernel takes the norm from them), and no other neuron is written.
     */
    @ParameterizedTest(name = "experts={0} dim={1} slices={2} L={3} minLogit={4} meanSquare={5}")
    @CsvSource({"12, 96, 3, 16, 0.05, 4, true", "40, 64, 2, 8, 0, 0.25, false", "9, 34, 1, 4, -5, 1, false",
            "33, 96, 8, 32, 0.5, 0.2, true", "20, 128, 4, 64, 0.2, 4, false", "1, 2, 1, 2, 0, 1, false"})
    void normedGateUpListsAndComputesExactlyTheExpertsAboveTheScaledThreshold(int experts, int dim, int slices, int local, float minLogit,
                                                                               float meanSquare, boolean scaleDecides) {
        int expertSize = 32;
        int neurons = experts * expertSize;
        float eps = 1e-5f;
        RandomArrays r = new RandomArrays(experts * 5L + dim + slices);
        float[] gate = halves(r, neurons * dim);
        float[] up = halves(r, neurons * dim);
        FloatArray x = r.floats(dim);
        FloatArray normWeight = r.floats(dim);
        FloatArray weightedInput = new FloatArray(dim); // x * normWeight, as the router leaves it
        for (int i = 0; i < dim; i++) {
            weightedInput.set(i, x.get(i) * normWeight.get(i));
        }
        FloatArray partialLogits = r.floats(slices * (experts + 1));
        double squares = 0;
        for (int s = 0; s < slices; s++) { // positive sums of squares adding to about meanSquare * dim
            long at = (long) slices * experts + s;
            partialLogits.set(at, meanSquare * dim / slices * (0.75f + 0.5f * Math.abs(partialLogits.get(at))));
            squares += partialLogits.get(at);
        }
        double scale = 1 / Math.sqrt(squares / dim + eps);
        IntArray g = LteBalancedFfnTest.packedHalves(gate);
        IntArray u = LteBalancedFfnTest.packedHalves(up);
        float untouched = 1234.5f;
        FloatArray hidden = new FloatArray(neurons);
        hidden.fill(untouched);
        IntArray ids = new IntArray(experts);
        IntArray count = IntArray.of(-1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("compact", () -> Router.compactActiveExpertsOfNormedSlices(ctx, partialLogits, slices, minLogit, ids, count, experts,
                                dim, eps))
                        .withGrid(WorkerGrid.of(local, local)),
                Task.of("gateUp", () -> Experts.normedGateUpSiluActiveF16Pairs(ctx, g, u, weightedInput, partialLogits, slices, experts, eps,
                                ids, count, hidden, dim, expertSize))
                        .withGrid(WorkerGrid.of(neurons / 2 * local, local)));
        FloatArray xn = new FloatArray(dim);
        for (int i = 0; i < dim; i++) {
            xn.set(i, (float) (weightedInput.get(i) * scale));
        }
        int slot = 0;
        int decidedByScale = 0;
        for (int e = 0; e < experts; e++) {
            double z = 0;
            for (int s = 0; s < slices; s++) {
                z += partialLogits.get((long) s * experts + e);
            }
            boolean listed = slot < count.get(0) && ids.get(slot) == e;
            if (Math.abs(z * scale - minLogit) > 1e-5 * (1 + Math.abs(z * scale))) {
                assertEquals(z * scale > minLogit, listed, "expert " + e + " (scaled logit " + z * scale + ")");
            }
            if ((z * scale > minLogit) != (z > minLogit)) {
                decidedByScale++;
            }
            if (listed) {
                slot++;
            }
            for (int n = e * expertSize; n < (e + 1) * expertSize; n++) {
                if (!listed) {
                    assertEquals(untouched, hidden.get(n), "unlisted neuron " + n + " untouched");
                    continue;
                }
                LteBalancedFfnTest.Neuron expected = LteBalancedFfnTest.Neuron.of(gate, up, xn, n, dim);
                assertEquals(expected.h(), hidden.get(n), expected.error(), "neuron " + n);
            }
        }
        assertEquals(slot, count.get(0), "count");
        assertEquals(scaleDecides, decidedByScale > 0, "experts whose activity the norm's scale decides: " + decidedByScale);
    }

    /** {@code RMSNorm(x) * normWeight} in double, rounded to float. */
    private static FloatArray normed(FloatArray x, FloatArray normWeight, float eps) {
        int dim = (int) x.getSize();
        double squares = 0;
        for (int i = 0; i < dim; i++) {
            squares += (double) x.get(i) * x.get(i);
        }
        double scale = 1 / Math.sqrt(squares / dim + eps);
        FloatArray xn = new FloatArray(dim);
        for (int i = 0; i < dim; i++) {
            xn.set(i, (float) (x.get(i) * scale * normWeight.get(i)));
        }
        return xn;
    }

    private static float[] halves(RandomArrays r, int n) {
        try (HalfArray h = r.halves(n)) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = h.get(i);
            }
            return v;
        }
    }
}
