package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * {@link ExpertsPipelined#normedGateUpSiluThenDownActiveF16Pairs} against the two kernels it
 * joins, {@link Experts#normedGateUpSiluActiveF16Pairs} then
 * {@link Experts#downActiveF16PairsFourRows} (adding), on the same inputs: the neurons and the
 * residual equal bit for bit, over lists of no expert, some, and all, with chunks of one expert
 * (groups of 4) to whole lists in one chunk; a second launch on the counters the first left gives
 * the same again (they are back at zero), so a captured token step can replay it.
 */
class PipelinedFfnTest {

    @ParameterizedTest(name = "experts={0} dim={1} L={2} active={3}")
    @CsvSource({"10, 34, 4, some", "40, 98, 32, some", "40, 64, 16, all", "24, 130, 64, some", "12, 96, 8, none", "7, 2, 2, all"})
    void equalsTheGateUpThenTheDownBitForBit(int experts, int dim, int local, String active) {
        int expertSize = 32;
        int neurons = experts * expertSize;
        int slices = 2;
        float eps = 1e-5f;
        RandomArrays r = new RandomArrays(experts * 31L + dim + local);
        IntArray gate = LteBalancedFfnTest.packedHalves(SplitRouterAndLaneSumTest.halves(r, neurons * dim));
        IntArray up = LteBalancedFfnTest.packedHalves(SplitRouterAndLaneSumTest.halves(r, neurons * dim));
        IntArray down = LteBalancedFfnTest.packedHalves(SplitRouterAndLaneSumTest.halves(r, dim * neurons));
        FloatArray weightedInput = r.floats(dim);
        FloatArray partialLogits = r.floats(slices * (experts + 1));
        for (int s = 0; s < slices; s++) { // positive sums of squares: a norm scale near 1
            long at = (long) slices * experts + s;
            partialLogits.set(at, (float) dim / slices * (0.5f + Math.abs(partialLogits.get(at))));
        }
        IntArray ids = new IntArray(experts);
        int count = 0;
        for (int e = 0; e < experts; e++) {
            if (active.equals("all") || active.equals("some") && r.nextInt(2) == 1) {
                ids.set(count++, e);
            }
        }
        IntArray activeCount = IntArray.of(count);
        FloatArray residual = r.floats(dim);
        FloatArray expected = copy(residual);
        FloatArray expectedHidden = new FloatArray(neurons);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(
                Task.of("gateUp", () -> Experts.normedGateUpSiluActiveF16Pairs(ctx, gate, up, weightedInput, partialLogits, slices, experts,
                                eps, ids, activeCount, expectedHidden, dim, expertSize))
                        .withGrid(WorkerGrid.of(neurons / 2 * local, local)),
                Task.of("down", () -> Experts.downActiveF16PairsFourRows(ctx, down, expectedHidden, ids, activeCount, expected, true, dim,
                                neurons, expertSize))
                        .withGrid(WorkerGrid.of((dim + 3) / 4 * local, local)));

        IntArray sync = new IntArray(ExpertsPipelined.syncInts(experts));
        for (int launch = 1; launch <= 2; launch++) {
            FloatArray out = copy(residual);
            FloatArray hidden = new FloatArray(neurons);
            JvmRun.execute(Task.of("pipelined", () -> ExpertsPipelined.normedGateUpSiluThenDownActiveF16Pairs(ctx, gate, up, weightedInput,
                            partialLogits, slices, experts, eps, ids, activeCount, hidden, down, out, sync, dim, expertSize))
                    .withGrid(WorkerGrid.of((neurons / 2 + (dim + 3) / 4) * local, local)));
            for (int n = 0; n < neurons; n++) {
                assertEquals(Float.floatToRawIntBits(expectedHidden.get(n)), Float.floatToRawIntBits(hidden.get(n)),
                        "launch " + launch + ", neuron " + n);
            }
            for (int i = 0; i < dim; i++) {
                assertEquals(Float.floatToRawIntBits(expected.get(i)), Float.floatToRawIntBits(out.get(i)),
                        "launch " + launch + ", residual " + i + ": " + expected.get(i) + " against " + out.get(i));
            }
            for (int i = 0; i < sync.getSize(); i++) {
                assertEquals(0, sync.get(i), "launch " + launch + ", counter " + i + " reset");
            }
        }
    }

    private static FloatArray copy(FloatArray a) {
        FloatArray c = new FloatArray(a.getSize());
        for (long i = 0; i < a.getSize(); i++) {
            c.set(i, a.get(i));
        }
        return c;
    }
}
