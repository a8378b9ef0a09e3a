package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/** Router, compaction and the active-expert FFN, against a dense scalar FFN that masks inactive experts. */
class LteFfnTest {
    private static final int EXPERT_SIZE = 32;
    private static final int LOCAL = 32;

    enum Format { F32, F16, Q8_0 }

    /** A random matrix in a format, with a double view of its elements. */
    private record Matrix(NativeArray array, int cols) {
        static Matrix random(RandomArrays r, Format f, int rows, int cols) {
            return new Matrix(switch (f) {
                case F32 -> r.floats(rows * cols);
                case F16 -> r.halves(rows * cols);
                case Q8_0 -> QuantizedInputs.randomQ8_0(r, rows, cols);
            }, cols);
        }

        double at(int row, int col) {
            long i = (long) row * cols + col;
            return switch (array) {
                case FloatArray a -> a.get(i);
                case HalfArray a -> a.get(i);
                case ByteArray a -> JvmRun.q8_0(a, row, col, cols);
                default -> throw new IllegalStateException();
            };
        }
    }

    @ParameterizedTest(name = "experts={0} local={1} threshold={2}")
    @CsvSource({"1, 32, 0.5", "31, 32, 0.5", "301, 64, 0.5", "100, 32, -1", "100, 32, 2", "5, 64, 0.5"})
    void compactionListsActiveExpertsInAscendingOrder(int experts, int local, float threshold) {
        RandomArrays r = new RandomArrays(experts);
        FloatArray gates = new FloatArray(experts);
        List<Integer> expected = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            gates.set(e, (r.nextFloat() + 1) / 2);
            if (gates.get(e) > threshold) {
                expected.add(e);
            }
        }
        IntArray ids = new IntArray(experts);
        ids.fill(-7);
        IntArray count = IntArray.of(-1);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("compact", () -> Router.compactActiveExperts(ctx, gates, threshold, ids, count, experts))
                .withGrid(WorkerGrid.of(local, local)));
        assertEquals(expected.size(), count.get(0));
        for (int s = 0; s < experts; s++) {
            assertEquals(s < expected.size() ? expected.get(s) : -7, ids.get(s), "slot " + s);
        }
    }

    @ParameterizedTest(name = "experts={0} dim={1}")
    @CsvSource({"1, 1", "45, 200", "7, 96"})
    void routerScoresAreSigmoidsOfDotProducts(int experts, int dim) {
        RandomArrays r = new RandomArrays(experts * dim);
        FloatArray w = r.floats(experts * dim);
        FloatArray x = r.floats(dim);
        FloatArray gates = new FloatArray(experts);
        double[] expected = new double[experts];
        for (int e = 0; e < experts; e++) {
            double z = 0;
            for (int c = 0; c < dim; c++) {
                z += (double) w.get((long) e * dim + c) * x.get(c);
            }
            expected[e] = 1 / (1 + Math.exp(-z));
        }
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("score", () -> Router.scoreExperts(ctx, w, x, gates, experts, dim)).withGrid(WorkerGrid.of(experts * LOCAL, LOCAL)));
        JvmRun.assertClose(expected, gates, JvmRun.sumTolerance(dim), "gates");
    }

    /**
     * The whole sparse FFN on the device path: router, compaction, gate/up, split-K down,
     * accumulation into the residual; against out = residual + sum over experts with G > tau of
     * downT^T (silu(gate x) * up x).
     */
    @ParameterizedTest(name = "{0} active={1}")
    @CsvSource({"F32, some", "F16, some", "Q8_0, some", "F32, none", "F16, all", "Q8_0, all", "Q8_0, none"})
    void sparseFfnMatchesMaskedDenseReference(Format format, String activity) {
        int experts = 10;
        int dim = 96;
        int neurons = experts * EXPERT_SIZE;
        int expertsPerChunk = 3;
        int chunks = (experts + expertsPerChunk - 1) / expertsPerChunk;
        float threshold = 0.5f;
        RandomArrays r = new RandomArrays(format.ordinal() * 10 + activity.length());
        FloatArray router = r.floats(experts * dim);
        if (!activity.equals("some")) {
            float sign = activity.equals("all") ? 1 : -1;
            for (int i = 0; i < experts * dim; i++) {
                router.set(i, 0f);
            }
            // a constant x makes every router row's dot product sign-definite
            for (int e = 0; e < experts; e++) {
                router.set((long) e * dim, sign);
            }
        }
        FloatArray x = r.floats(dim);
        if (!activity.equals("some")) {
            x.set(0, 1f);
        }
        Matrix gate = Matrix.random(r, format, neurons, dim);
        Matrix up = Matrix.random(r, format, neurons, dim);
        Matrix down = Matrix.random(r, format, neurons, dim);
        FloatArray residual = r.floats(dim);

        double[] expected = new double[dim];
        int activeExperts = 0;
        double[] tolerance = new double[dim];
        for (int i = 0; i < dim; i++) {
            expected[i] = residual.get(i);
            tolerance[i] = 1e-6;
        }
        for (int e = 0; e < experts; e++) {
            double z = 0;
            for (int c = 0; c < dim; c++) {
                z += (double) router.get((long) e * dim + c) * x.get(c);
            }
            if (1 / (1 + Math.exp(-z)) <= threshold) {
                continue;
            }
            activeExperts++;
            for (int j = 0; j < EXPERT_SIZE; j++) {
                int n = e * EXPERT_SIZE + j;
                double g = 0;
                double u = 0;
                double gAbs = 0;
                double uAbs = 0;
                for (int c = 0; c < dim; c++) {
                    g += gate.at(n, c) * x.get(c);
                    u += up.at(n, c) * x.get(c);
                    gAbs += Math.abs(gate.at(n, c) * x.get(c));
                    uAbs += Math.abs(up.at(n, c) * x.get(c));
                }
                double h = g / (1 + Math.exp(-g)) * u;
                // fp32 error of h: each dot product is off by ~1e-6 of its sum of |terms|, scaled by the other factor
                double hError = 2e-6 * (gAbs * Math.abs(u) + uAbs * (Math.abs(g) + 1)) + 1e-6 * Math.abs(h);
                for (int i = 0; i < dim; i++) {
                    expected[i] += h * down.at(n, i);
                    tolerance[i] += Math.abs(down.at(n, i)) * hError + 2e-6 * Math.abs(h * down.at(n, i));
                }
            }
        }
        if (activity.equals("all")) {
            assertEquals(experts, activeExperts);
        } else if (activity.equals("none")) {
            assertEquals(0, activeExperts);
        }

        FloatArray gates = new FloatArray(experts);
        IntArray ids = new IntArray(experts);
        IntArray count = new IntArray(1);
        FloatArray hidden = new FloatArray(neurons);
        FloatArray partials = new FloatArray(chunks * dim);
        KernelContext ctx = new KernelContext();
        Task gateUp = switch (format) {
            case F32 -> {
                FloatArray g = (FloatArray) gate.array();
                FloatArray u = (FloatArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF32(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
            case F16 -> {
                HalfArray g = (HalfArray) gate.array();
                HalfArray u = (HalfArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF16(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
            case Q8_0 -> {
                ByteArray g = (ByteArray) gate.array();
                ByteArray u = (ByteArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveQ8_0(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
        };
        Task downTask = switch (format) {
            case F32 -> {
                FloatArray d = (FloatArray) down.array();
                yield Task.of("down", () -> Experts.downPartialsActiveF32(ctx, d, hidden, ids, count, partials, dim, EXPERT_SIZE, expertsPerChunk));
            }
            case F16 -> {
                HalfArray d = (HalfArray) down.array();
                yield Task.of("down", () -> Experts.downPartialsActiveF16(ctx, d, hidden, ids, count, partials, dim, EXPERT_SIZE, expertsPerChunk));
            }
            case Q8_0 -> {
                ByteArray d = (ByteArray) down.array();
                yield Task.of("down", () -> Experts.downPartialsActiveQ8_0(ctx, d, hidden, ids, count, partials, dim, EXPERT_SIZE, expertsPerChunk));
            }
        };
        // fixed grids sized for all experts, as a captured decode step launches them
        JvmRun.execute(
                Task.of("router", () -> Router.scoreExperts(ctx, router, x, gates, experts, dim)).withGrid(WorkerGrid.of(experts * LOCAL, LOCAL)),
                Task.of("compact", () -> Router.compactActiveExperts(ctx, gates, threshold, ids, count, experts)).withGrid(WorkerGrid.of(LOCAL, LOCAL)),
                gateUp.withGrid(WorkerGrid.of(neurons * LOCAL, LOCAL)),
                downTask.withGrid(WorkerGrid.covering((long) chunks * dim, LOCAL, Integer.MAX_VALUE)),
                Task.of("accumulate", () -> Experts.accumulateDownPartials(ctx, partials, count, residual, dim, expertsPerChunk))
                        .withGrid(WorkerGrid.of(64, 32)));
        assertEquals(activeExperts, count.get(0));
        JvmRun.assertClose(expected, residual, tolerance, "out");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void inactiveNeuronsAreNotWritten(Format format) {
        int experts = 4;
        int dim = 64;
        int neurons = experts * EXPERT_SIZE;
        RandomArrays r = new RandomArrays(11);
        Matrix gate = Matrix.random(r, format, neurons, dim);
        Matrix up = Matrix.random(r, format, neurons, dim);
        FloatArray x = r.floats(dim);
        IntArray ids = IntArray.of(1, 3, -1, -1);
        IntArray count = IntArray.of(2);
        FloatArray hidden = new FloatArray(neurons);
        hidden.fill(42f);
        KernelContext ctx = new KernelContext();
        Task t = switch (format) {
            case F32 -> {
                FloatArray g = (FloatArray) gate.array();
                FloatArray u = (FloatArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF32(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
            case F16 -> {
                HalfArray g = (HalfArray) gate.array();
                HalfArray u = (HalfArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveF16(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
            case Q8_0 -> {
                ByteArray g = (ByteArray) gate.array();
                ByteArray u = (ByteArray) up.array();
                yield Task.of("gateUp", () -> Experts.gateUpSiluActiveQ8_0(ctx, g, u, x, ids, count, hidden, dim, EXPERT_SIZE));
            }
        };
        // fewer groups than neurons: groups loop over active neurons
        JvmRun.execute(t.withGrid(WorkerGrid.of(5 * LOCAL, LOCAL)));
        for (int n = 0; n < neurons; n++) {
            int expert = n / EXPERT_SIZE;
            if (expert == 1 || expert == 3) {
                double g = 0;
                double u = 0;
                for (int c = 0; c < dim; c++) {
                    g += gate.at(n, c) * x.get(c);
                    u += up.at(n, c) * x.get(c);
                }
                double h = g / (1 + Math.exp(-g)) * u;
                assertEquals(h, hidden.get(n), 1e-5 * (1 + Math.abs(h)) * dim, "neuron " + n);
            } else {
                assertEquals(42f, hidden.get(n), 0f, "neuron " + n);
            }
        }
    }
}
