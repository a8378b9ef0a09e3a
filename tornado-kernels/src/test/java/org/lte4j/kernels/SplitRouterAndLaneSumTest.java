package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The split-K router ({@link Router#logitsFourExpertsSplitK} then
 * {@link Router#compactActiveExpertsSummingSlices}), the packed-pair fp16 down partials
 * ({@link Experts#downPartialsBalancedF16Pairs}) and the lane-parallel down partial sums
 * ({@link Experts#sumDownPartialsAcrossLanes}, {@link Experts#addDownPartialsAcrossLanes}) on the
 * JVM, against scalar references; and the fp16 decode FFN built from them (router, the
 * self-routing gate/up kernels, balanced down, lane sums added into a residual) against the dense
 * SwiGLU FFN with the inactive experts' neurons zeroed.
 */
class SplitRouterAndLaneSumTest {

    @ParameterizedTest(name = "experts={0} dim={1} slices={2} L={3}")
    @CsvSource({"45, 200, 1, 16", "45, 200, 3, 16", "45, 200, 8, 16", "12, 96, 7, 8", "5, 33, 16, 4", "344, 128, 4, 32"})
    void splitKRouterListsTheExpertsAboveTheThreshold(int experts, int dim, int slices, int local) {
        RandomArrays r = new RandomArrays(experts * 7L + dim + slices);
        FloatArray w = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        float minLogit = 0.25f;
        double[] z = new double[experts];
        double[] abs = new double[experts];
        for (int e = 0; e < experts; e++) {
            for (int c = 0; c < dim; c++) {
                double p = (double) w.get((long) e * dim + c) * x.get(c);
                z[e] += p;
                abs[e] += Math.abs(p);
            }
        }
        FloatArray partials = r.floats(slices * experts); // every slot is overwritten
        IntArray ids = new IntArray(experts);
        IntArray count = new IntArray(1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, w, x, partials, experts, dim, slices))
                        .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local)),
                Task.of("compact", () -> Router.compactActiveExpertsSummingSlices(ctx, partials, slices, minLogit, ids, count, experts))
                        .withGrid(WorkerGrid.of(local, local)));
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

    @ParameterizedTest(name = "experts={0} slices={1} maxChunks={2} tau={3} lanes={4} gateUpGroups={5}")
    @CsvSource({"10, 3, 4, 0.5, 4, 0", "10, 1, 16, 0.5, 16, 0", "7, 6, 3, 0, 2, 0", "9, 2, 2, 0.9, 16, 0", "6, 4, 4, 0.9999, 8, 0",
            "12, 8, 128, 0.3, 16, 0", "10, 3, 4, 0.5, 4, 3", "7, 6, 3, 0, 2, 1", "6, 4, 4, 0.9999, 8, 2", "12, 8, 128, 0.3, 16, 7"})
    void fp16DecodeFfnAddsTheMaskedDenseFfnToTheResidual(int experts, int slices, int maxChunks, float tau, int lanes, int gateUpGroups) {
        int expertSize = 32;
        int dim = 96;
        int local = 16;
        int neurons = experts * expertSize;
        RandomArrays r = new RandomArrays(experts * 13L + slices + maxChunks);
        FloatArray router = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        float[] gate = halves(r, neurons * dim);
        float[] up = halves(r, neurons * dim);
        float[] downT = halves(r, neurons * dim); // [neurons, dim]: row n is neuron n's output column
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
        FloatArray residual = r.floats(dim);
        double[] expected = new double[dim];
        double[] tolerance = new double[dim];
        for (int i = 0; i < dim; i++) {
            expected[i] = residual.get(i);
            tolerance[i] = 1e-6 * (1 + Math.abs(expected[i]));
        }
        for (int n = 0; n < neurons; n++) {
            if (!active[n / expertSize]) {
                continue;
            }
            int neuron = n;
            LteBalancedFfnTest.Neuron.of(gate, up, x, n, dim).addOutputs(expected, tolerance, i -> downT[neuron * dim + i]);
        }
        float minLogit = tau == 0 ? -Float.MAX_VALUE : (float) Math.log(tau / (1.0 - tau));
        FloatArray partialLogits = new FloatArray(slices * experts);
        IntArray ids = new IntArray(experts);
        IntArray activeCount = new IntArray(1);
        FloatArray hidden = new FloatArray(neurons);
        FloatArray partials = new FloatArray((long) maxChunks * dim);
        IntArray g = LteBalancedFfnTest.packedHalves(gate);
        IntArray u = LteBalancedFfnTest.packedHalves(up);
        IntArray d = LteBalancedFfnTest.packedHalves(downT);
        int width = local / lanes;
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("router", () -> Router.logitsFourExpertsSplitK(ctx, router, x, partialLogits, experts, dim, slices))
                        .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local)),
                gateUpGroups == 0 // 0: one group per pair of all experts; else a fixed grid looping over the active pairs
                        ? Task.of("gateUp", () -> Experts.gateUpSiluF16PairsTwoNeuronsCompacting(ctx, g, u, x, partialLogits, slices, minLogit,
                                        ids, activeCount, hidden, dim, expertSize, experts))
                                .withGrid(WorkerGrid.of(neurons / 2 * local, local))
                        : Task.of("gateUp", () -> Experts.gateUpSiluF16PairsTwoNeuronsLoopingOverActive(ctx, g, u, x, partialLogits, slices,
                                        minLogit, ids, activeCount, hidden, dim, expertSize, experts))
                                .withGrid(WorkerGrid.of(gateUpGroups * local, local)),
                Task.of("down", () -> Experts.downPartialsBalancedF16Pairs(ctx, d, hidden, ids, activeCount, partials, dim, expertSize, maxChunks))
                        .withGrid(WorkerGrid.covering((long) maxChunks * dim / 2, local, Integer.MAX_VALUE)),
                Task.of("sum", () -> Experts.addDownPartialsAcrossLanes(ctx, partials, activeCount, residual, dim, expertSize, maxChunks, lanes))
                        .withGrid(WorkerGrid.of((dim + width - 1) / width * local, local)));
        assertEquals(count, activeCount.get(0), "active experts");
        int slot = 0;
        for (int e = 0; e < experts; e++) {
            if (active[e]) {
                assertEquals(e, ids.get(slot++), "active experts in ascending order");
            }
        }
        if (tau == 0) {
            assertEquals(experts, count, "tau 0 turns every expert on");
        }
        JvmRun.assertClose(expected, residual, tolerance, "residual + FFN");
    }

    /**
     * The fixed-grid fp16 gate/up ({@link Experts#gateUpSiluF16PairsTwoNeuronsLoopingOverActive}):
     * the list and count it writes are the experts whose ascending slice sum is above the
     * threshold, every active neuron matches a scalar double SwiGLU of its rows, inactive neurons
     * are untouched, and the result is bit-identical to the one-group-per-pair kernel
     * ({@link Experts#gateUpSiluF16PairsTwoNeuronsCompacting}) whatever the number of groups.
     */
    @ParameterizedTest(name = "experts={0} dim={1} slices={2} L={3} groups={4} minLogit={5}")
    @CsvSource({"12, 96, 3, 16, 5, 0.05", "12, 96, 3, 16, 1, 0.05", "40, 64, 2, 8, 200, 0", "9, 34, 1, 4, 3, -5",
            "33, 96, 8, 32, 7, 5", "20, 128, 4, 64, 16, 0.2"})
    void fixedGridGateUpLoopsOverExactlyTheListedExperts(int experts, int dim, int slices, int local, int groups, float minLogit) {
        int expertSize = 32;
        int neurons = experts * expertSize;
        RandomArrays r = new RandomArrays(experts * 5L + dim + groups);
        float[] gate = halves(r, neurons * dim);
        float[] up = halves(r, neurons * dim);
        FloatArray x = r.floats(dim);
        FloatArray partialLogits = r.floats(slices * experts);
        IntArray g = LteBalancedFfnTest.packedHalves(gate);
        IntArray u = LteBalancedFfnTest.packedHalves(up);
        float untouched = 1234.5f;
        FloatArray hidden = new FloatArray(neurons);
        FloatArray pairHidden = new FloatArray(neurons);
        for (int n = 0; n < neurons; n++) {
            hidden.set(n, untouched);
            pairHidden.set(n, untouched);
        }
        IntArray ids = new IntArray(experts);
        IntArray count = IntArray.of(-1);
        IntArray pairIds = new IntArray(experts);
        IntArray pairCount = IntArray.of(-1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("looping", () -> Experts.gateUpSiluF16PairsTwoNeuronsLoopingOverActive(ctx, g, u, x, partialLogits, slices, minLogit,
                                ids, count, hidden, dim, expertSize, experts))
                        .withGrid(WorkerGrid.of(groups * local, local)),
                Task.of("perPair", () -> Experts.gateUpSiluF16PairsTwoNeuronsCompacting(ctx, g, u, x, partialLogits, slices, minLogit,
                                pairIds, pairCount, pairHidden, dim, expertSize, experts))
                        .withGrid(WorkerGrid.of(neurons / 2 * local, local)));
        int slot = 0;
        for (int e = 0; e < experts; e++) {
            float z = 0f;
            for (int s = 0; s < slices; s++) {
                z += partialLogits.get((long) s * experts + e);
            }
            boolean active = z > minLogit;
            if (active) {
                assertEquals(e, ids.get(slot), "slot " + slot + " lists expert " + e);
                slot++;
            }
            for (int n = e * expertSize; n < (e + 1) * expertSize; n++) {
                if (!active) {
                    assertEquals(untouched, hidden.get(n), "inactive neuron " + n + " untouched");
                    continue;
                }
                LteBalancedFfnTest.Neuron expected = LteBalancedFfnTest.Neuron.of(gate, up, x, n, dim);
                assertEquals(expected.h(), hidden.get(n), expected.error(), "neuron " + n);
            }
        }
        assertEquals(slot, count.get(0), "count");
        assertEquals(pairCount.get(0), count.get(0), "count as the per-pair kernel's");
        for (int k = 0; k < slot; k++) {
            assertEquals(pairIds.get(k), ids.get(k), "list as the per-pair kernel's, slot " + k);
        }
        for (int n = 0; n < neurons; n++) {
            assertEquals(Float.floatToRawIntBits(pairHidden.get(n)), Float.floatToRawIntBits(hidden.get(n)),
                    "neuron " + n + " bit-identical to the per-pair kernel");
        }
    }

    /**
     * {@link Experts#downPartialsBalancedF16Pairs} alone: every chunk in use holds the scalar
     * double sum of its slices' neurons (hidden times the transposed fp16 down row), chunks past
     * those in use are not written, for one, two and odd numbers of slices per chunk, no active
     * expert, and fewer items than outputs (items loop).
     */
    @ParameterizedTest(name = "experts={0} active={1} dim={2} maxChunks={3} items={4}")
    @CsvSource({"12, 5, 96, 5, 1000", "12, 12, 96, 128, 1000", "40, 34, 64, 128, 5000", "40, 17, 64, 7, 64", "9, 1, 34, 3, 16",
            "9, 0, 34, 3, 16", "20, 13, 128, 4, 33"})
    void f16PairsDownPartialsAreTheScalarSumsOfTheirSlices(int experts, int active, int dim, int maxChunks, int items) {
        int expertSize = 32;
        int neurons = experts * expertSize;
        RandomArrays r = new RandomArrays(experts * 3L + active + dim + maxChunks);
        float[] downT = halves(r, neurons * dim);
        IntArray d = LteBalancedFfnTest.packedHalves(downT);
        FloatArray hidden = r.floats(neurons);
        IntArray ids = new IntArray(experts);
        int[] order = new int[experts];
        for (int e = 0; e < experts; e++) {
            order[e] = e;
        }
        for (int e = experts - 1; e > 0; e--) { // a random subset, listed in ascending order
            int k = r.nextInt(e + 1);
            int tmp = order[e];
            order[e] = order[k];
            order[k] = tmp;
        }
        int[] chosen = Arrays.copyOf(order, active);
        Arrays.sort(chosen);
        for (int s = 0; s < active; s++) {
            ids.set(s, chosen[s]);
        }
        IntArray count = IntArray.of(active);
        float unwritten = 777f;
        FloatArray partials = new FloatArray((long) maxChunks * dim);
        partials.fill(unwritten);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("down", () -> Experts.downPartialsBalancedF16Pairs(ctx, d, hidden, ids, count, partials, dim, expertSize, maxChunks))
                .withGrid(WorkerGrid.covering(items, 16, Integer.MAX_VALUE)));
        int slicesPerExpert = expertSize / Experts.DOWN_SLICE;
        int slices = active * slicesPerExpert;
        int perChunk = (slices + maxChunks - 1) / maxChunks; // at most maxChunks chunks, all but the last full
        int chunks = perChunk == 0 ? 0 : (slices + perChunk - 1) / perChunk;
        assertTrue(chunks <= maxChunks);
        double[] expected = new double[chunks * dim];
        double[] tolerance = new double[chunks * dim];
        for (int u = 0; u < slices; u++) {
            int chunk = u / perChunk;
            int n0 = chosen[u / slicesPerExpert] * expertSize + u % slicesPerExpert * Experts.DOWN_SLICE;
            for (int n = n0; n < n0 + Experts.DOWN_SLICE; n++) {
                for (int i = 0; i < dim; i++) {
                    double p = (double) hidden.get(n) * downT[n * dim + i];
                    expected[chunk * dim + i] += p;
                    tolerance[chunk * dim + i] += 1e-6 * Math.abs(p);
                }
            }
        }
        for (int k = 0; k < chunks * dim; k++) {
            assertEquals(expected[k], partials.get(k), tolerance[k] + 1e-30, "partial " + k);
        }
        for (long k = (long) chunks * dim; k < partials.getSize(); k++) {
            assertEquals(unwritten, partials.get(k), "partial " + k + " of an unused chunk");
        }
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
