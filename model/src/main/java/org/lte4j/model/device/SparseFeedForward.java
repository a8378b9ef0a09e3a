package org.lte4j.model.device;

import java.util.List;

import org.lte4j.kernels.Experts;
import org.lte4j.kernels.Router;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * The LTE sparse FFN on the device (DESIGN.md section 5), per layer five tasks on the normed
 * input the decoder gives it:
 * <ol>
 *   <li>{@code ffn_router}: router logits split over {@link #routerSlices} column slices (one
 *       work-group per four experts and slice, so the router fills the device),
 *       {@link Router#logitsFourExpertsSplitK};</li>
 *   <li>{@code ffn_compact}: the slices added in order and the experts whose logit is above the
 *       threshold's logit ({@code sigmoid(z) > tau} exactly when {@code z > ln(tau / (1 - tau))}),
 *       as an ascending list and a count on the device, {@link Router#compactActiveExpertsSummingSlices};
 *       for fp16 gate/up this is done inside the next task instead (one launch less);</li>
 *   <li>{@code ffn_gate_up}: {@code silu(gate x) * up x} for the active experts' neurons only,
 *       reading gate and up in the form the dense GEMV reads them (fp16:
 *       {@link Experts#gateUpSiluF16PairsTwoNeuronsCompacting}, which also routes and compacts, one
 *       group per pair of all experts; or, when the caller gives a group count,
 *       {@link Experts#gateUpSiluF16PairsTwoNeuronsLoopingOverActive} on that fixed grid, groups
 *       looping over the active pairs only (faster on the H200 at 80-90% sparsity, slower at 0-50%);
 *       Q8_0:
 *       {@link Experts#gateUpSiluActiveQ8_0SplitWordsFourNeurons}; F32: {@link Experts#gateUpSiluActiveF32});</li>
 *   <li>{@code ffn_down}: for fp16, four whole output rows per group over the active experts'
 *       columns of the model's own matrix, adding into the residual stream in a decoder
 *       ({@link Experts#downActiveF16PairsFourRowsAddingInto}; the block is then four tasks); for F32
 *       and Q8_0, split-K over the active experts into at most {@code maxChunks} partial vectors
 *       ({@link Experts#downPartialsBalancedF32}, {@link Experts#downPartialsBalancedQ8_0ExpertMajor},
 *       on the layouts of {@link ExpertWeights});</li>
 *   <li>{@code ffn_down_sum} (F32, Q8_0): the partials summed in a fixed order over {@link #SUM_LANES} lanes
 *       per output, written to {@code out} ({@link Experts#sumDownPartialsAcrossLanes}) or, in a
 *       decoder, added into the residual stream ({@link #appendAddingInto},
 *       {@link Experts#addDownPartialsAcrossLanes}: no separate residual-add launch).</li>
 * </ol>
 * Every grid is fixed and sized for all experts; work past the active count is skipped on the
 * device, so the host never waits for the router and the token step can be captured once. The
 * active count of every layer stays on the device ({@link #activeCount}); reading it back costs a
 * synchronisation, so only a caller that reports sparsity asks for it.
 *
 * <p>The gate value does not scale an expert's output (stage-2 LTE inference), matching
 * {@link org.lte4j.model.sparse.LteModel}.
 */
public final class SparseFeedForward implements DeviceFeedForward {
    /** Most work-items that share one output of the partial sum (fewer where the group is smaller). */
    static final int SUM_LANES = 16;
    /** Most column slices of the split-K router. */
    static final int MAX_ROUTER_SLICES = 8;
    /** Work-items an SM of recent NVIDIA GPUs holds at once (Ampere and Hopper: 2048). */
    static final int ITEMS_PER_MULTIPROCESSOR = 2048;

    private final List<LayerWeights> layers;
    private final DeviceWeights weights;
    private final ExpertWeights experts;
    private final int local;
    private final int maxChunks;
    private final float minLogit;
    private final int routerSlices;
    private final int sumLanes;
    /** Work-groups of the fixed-grid fp16 gate/up kernel; 0: the one-group-per-pair kernel. */
    private final int gateUpGroups;
    private final int dim;
    private final int expertSize;
    private final int expertCount;
    // shared by all layers (layers run one after another)
    private final FloatArray partialLogits;
    private final IntArray activeIds;
    private final FloatArray hidden;
    private final FloatArray partials;
    // one per layer, so every layer's count can be read after a step
    private final IntArray[] counts;

    /**
     * @param threshold an expert runs when its gate {@code sigmoid(router . x)} is above this
     *                  (0 runs every expert; LTE files say 0.5)
     * @param local     work-group size of the router, compaction and gate/up kernels (the decoder's)
     * @param maxChunks most partial vectors of the split-K down projection (see
     *                  {@link #defaultMaxChunks}); more chunks, more parallelism at high sparsity
     */
    public SparseFeedForward(LlamaModel model, ExpertWeights experts, float threshold, DeviceWeights weights, int local,
                             int maxChunks) {
        this(model, experts, threshold, weights, local, maxChunks, 0, false);
    }

    /**
     * As the six-argument constructor, but fp16 gate/up runs on a fixed grid of
     * {@code gateUpGroups} work-groups that loop over the active neuron pairs
     * ({@link Experts#gateUpSiluF16PairsTwoNeuronsLoopingOverActive}; about one wave of the
     * device, {@link #oneWave}; capped at one group per pair of all experts). Models of more than
     * {@link Experts#MAX_LISTED_EXPERTS} experts keep the one-group-per-pair kernel.
     */
    public SparseFeedForward(LlamaModel model, ExpertWeights experts, float threshold, DeviceWeights weights, int local,
                             int maxChunks, int gateUpGroups) {
        this(model, experts, threshold, weights, local, maxChunks, gateUpGroups, true);
    }

    private SparseFeedForward(LlamaModel model, ExpertWeights experts, float threshold, DeviceWeights weights, int local,
                              int maxChunks, int gateUpGroups, boolean loopingGateUp) {
        if (loopingGateUp && gateUpGroups < 1) {
            throw new IllegalArgumentException("gateUpGroups must be >= 1, was " + gateUpGroups);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in [0, 1), was " + threshold);
        }
        if (maxChunks < 1) {
            throw new IllegalArgumentException("maxChunks must be >= 1, was " + maxChunks);
        }
        this.layers = model.layers();
        this.weights = weights;
        this.experts = experts;
        this.local = local;
        this.maxChunks = maxChunks;
        this.minLogit = minLogit(threshold);
        this.dim = model.config().dim();
        this.expertSize = experts.expertSize();
        this.expertCount = experts.experts();
        this.routerSlices = routerSlices(dim, local);
        this.sumLanes = Math.min(SUM_LANES, local);
        this.gateUpGroups = loopingGateUp && expertCount <= Experts.MAX_LISTED_EXPERTS
                ? Math.min(gateUpGroups, expertCount * expertSize / 2) : 0;
        this.partialLogits = new FloatArray((long) routerSlices * expertCount);
        this.activeIds = new IntArray(expertCount);
        this.hidden = new FloatArray(model.config().hiddenDim());
        this.partials = new FloatArray((long) maxChunks * dim);
        this.counts = new IntArray[model.config().nLayers()];
        for (int l = 0; l < counts.length; l++) {
            counts[l] = new IntArray(1);
        }
    }

    /**
     * The logit above which an expert is active: {@code ln(tau / (1 - tau))}, computed in double
     * as the JVM model's sigmoid is; tau = 0 admits every finite logit.
     */
    static float minLogit(float threshold) {
        return threshold == 0 ? -Float.MAX_VALUE : (float) Math.log(threshold / (1.0 - threshold));
    }

    /**
     * Column slices of the split-K router: about two columns per work-item and slice
     * ({@code dim / (2 * local)}), between 1 and {@link #MAX_ROUTER_SLICES}. On the H200
     * (dim 4096, L 256) 8 slices: every item issues its eight weight loads at once, and 344
     * experts make 688 groups instead of 86.
     */
    static int routerSlices(int dim, int local) {
        return Math.max(1, Math.min(MAX_ROUTER_SLICES, dim / (2 * local)));
    }

    /**
     * Work-groups of {@code local} items that {@code multiprocessors} SMs hold at once
     * ({@link #ITEMS_PER_MULTIPROCESSOR} items each): the fixed grid of the fp16 gate/up kernel,
     * so every group starts at once and loops over active pairs instead of most groups of a
     * grid sized for all experts starting only to skip (H200, L 256: 132 x 8 = 1056 groups).
     */
    public static int oneWave(int multiprocessors, int local) {
        return multiprocessors * Math.max(1, ITEMS_PER_MULTIPROCESSOR / local);
    }

    /** Work-groups of the fixed-grid fp16 gate/up kernel; 0 when the one-group-per-pair kernel runs. */
    public int gateUpGroups() {
        return gateUpGroups;
    }

    /**
     * 128 partial vectors on GPUs (a 4096-wide layer then runs up to 262144 down items: with 32,
     * the first H200 run reached only about half the dense FFN's bandwidth), 4 elsewhere.
     */
    public static int defaultMaxChunks(boolean gpu) {
        return gpu ? 128 : 4;
    }

    /** {@code out = FFN(in)}. */
    @Override
    public void append(TaskGraph graph, int layer, FloatArray in, FloatArray out) {
        append(graph, layer, in, out, false);
    }

    /** {@code acc += FFN(in)}: the partial sums add into the residual stream. */
    @Override
    public boolean appendAddingInto(TaskGraph graph, int layer, FloatArray in, FloatArray acc) {
        append(graph, layer, in, acc, true);
        return true;
    }

    private void append(TaskGraph graph, int layer, FloatArray in, FloatArray out, boolean adding) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix gate = weights.matrix(lw.wGate());
        DeviceMatrix up = weights.matrix(lw.wUp());
        ExpertWeights.Down down = experts.down(layer);
        FloatArray router = experts.router(layer);
        IntArray count = counts[layer];
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, router, down.data());
        String l = "l" + layer + ".";
        KernelContext ctx = new KernelContext();
        int experts = expertCount;
        int size = expertSize;
        int width = dim;
        int chunks = maxChunks;
        float min = minLogit;
        FloatArray z = partialLogits;
        int slices = routerSlices;
        IntArray ids = activeIds;
        FloatArray h = hidden;
        FloatArray p = partials;

        graph.task(Task.of(l + "ffn_router", () -> Router.logitsFourExpertsSplitK(ctx, router, in, z, experts, width, slices))
                .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local)));
        if (gate.format() == WeightFormat.F16 && width % 2 == 0 && size % 2 == 0) {
            // routes and compacts inside the gate/up kernel: one launch less per layer
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gate, up));
            IntArray g = (IntArray) gate.gemvArrays().get(0);
            IntArray u = (IntArray) up.gemvArrays().get(0);
            if (gateUpGroups > 0) { // fixed grid, groups loop over the active pairs only
                graph.task(Task.of(l + "ffn_gate_up", () -> Experts.gateUpSiluF16PairsTwoNeuronsLoopingOverActive(ctx, g, u, in, z, slices,
                                min, ids, count, h, width, size, experts))
                        .withGrid(WorkerGrid.of(gateUpGroups * local, local)));
            } else {
                graph.task(Task.of(l + "ffn_gate_up", () -> Experts.gateUpSiluF16PairsTwoNeuronsCompacting(ctx, g, u, in, z, slices, min,
                                ids, count, h, width, size, experts))
                        .withGrid(WorkerGrid.of(experts * size / 2 * local, local)));
            }
        } else {
            graph.task(Task.of(l + "ffn_compact", () -> Router.compactActiveExpertsSummingSlices(ctx, z, slices, min, ids, count, experts))
                    .withGrid(WorkerGrid.of(local, local)));
            graph.task(gateUp(graph, l + "ffn_gate_up", gate, up, in, count));
        }
        int ffnDim = expertCount * expertSize;
        switch (down.layout()) {
            case ROWS_F16_PAIRS -> { // four whole output rows per group: no partials to sum
                IntArray d = (IntArray) down.data();
                WorkerGrid grid = WorkerGrid.of((width + 3) / 4 * local, local);
                graph.task(adding
                        ? Task.of(l + "ffn_down_residual", () -> Experts.downActiveF16PairsFourRowsAddingInto(ctx, d, h, ids, count, out,
                                width, ffnDim, size)).withGrid(grid)
                        : Task.of(l + "ffn_down", () -> Experts.downActiveF16PairsFourRows(ctx, d, h, ids, count, out, width, ffnDim, size))
                                .withGrid(grid));
            }
            case TRANSPOSED_F32 -> {
                FloatArray d = (FloatArray) down.data();
                graph.task(Task.of(l + "ffn_down", () -> Experts.downPartialsBalancedF32(ctx, d, h, ids, count, p, width, size, chunks))
                        .withGrid(WorkerGrid.covering((long) chunks * width, local, 65536)));
                graph.task(sumOfPartials(l + "ffn_down_sum", out, count, adding));
            }
            case EXPERT_MAJOR_Q8_0 -> {
                ByteArray d = (ByteArray) down.data();
                graph.task(Task.of(l + "ffn_down", () -> Experts.downPartialsBalancedQ8_0ExpertMajor(ctx, d, h, ids, count, p, width, size, chunks))
                        .withGrid(WorkerGrid.covering((long) chunks * width, local, 65536)));
                graph.task(sumOfPartials(l + "ffn_down_sum", out, count, adding));
            }
        }
    }

    /** The split-K down partials summed in a fixed order over {@link #SUM_LANES} lanes per output, written or added into {@code out}. */
    private Task sumOfPartials(String name, FloatArray out, IntArray count, boolean adding) {
        KernelContext ctx = new KernelContext();
        FloatArray p = partials;
        int width = dim;
        int size = expertSize;
        int chunks = maxChunks;
        int lanes = sumLanes;
        WorkerGrid grid = WorkerGrid.of((width + local / lanes - 1) / (local / lanes) * local, local);
        return (adding
                ? Task.of(name, () -> Experts.addDownPartialsAcrossLanes(ctx, p, count, out, width, size, chunks, lanes))
                : Task.of(name, () -> Experts.sumDownPartialsAcrossLanes(ctx, p, count, out, width, size, chunks, lanes)))
                .withGrid(grid);
    }

    /** The gate/up task for the matrices' format; uploads the arrays it reads (first execution). */
    private Task gateUp(TaskGraph graph, String name, DeviceMatrix gate, DeviceMatrix up, FloatArray in, IntArray count) {
        KernelContext ctx = new KernelContext();
        IntArray ids = activeIds;
        FloatArray h = hidden;
        int width = dim;
        int size = expertSize;
        int neurons = expertCount * expertSize;
        return switch (gate.format()) {
            case F16 -> { // odd widths; even ones take the routing kernel in append
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, gate.data(), up.data());
                HalfArray g = (HalfArray) gate.data();
                HalfArray u = (HalfArray) up.data();
                yield Task.of(name, () -> Experts.gateUpSiluActiveF16(ctx, g, u, in, ids, count, h, width, size))
                        .withGrid(WorkerGrid.of(neurons * local, local));
            }
            case F32 -> {
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gate, up));
                FloatArray g = (FloatArray) gate.gemvArrays().get(0);
                FloatArray u = (FloatArray) up.gemvArrays().get(0);
                yield Task.of(name, () -> Experts.gateUpSiluActiveF32(ctx, g, u, in, ids, count, h, width, size))
                        .withGrid(WorkerGrid.of(neurons * local, local));
            }
            case Q8_0 -> {
                if (size % 4 == 0) {
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gate, up));
                    IntArray gq = (IntArray) gate.gemvArrays().get(0);
                    HalfArray gs = (HalfArray) gate.gemvArrays().get(1);
                    IntArray uq = (IntArray) up.gemvArrays().get(0);
                    HalfArray us = (HalfArray) up.gemvArrays().get(1);
                    yield Task.of(name, () -> Experts.gateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us, in, ids, count, h, width, size))
                            .withGrid(WorkerGrid.of(neurons / 4 * local, local));
                }
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, gate.data(), up.data());
                ByteArray g = (ByteArray) gate.data();
                ByteArray u = (ByteArray) up.data();
                yield Task.of(name, () -> Experts.gateUpSiluActiveQ8_0(ctx, g, u, in, ids, count, h, width, size))
                        .withGrid(WorkerGrid.of(neurons * local, local));
            }
        };
    }

    /** Router, gate, up and down bytes of layer {@code layer} with every expert active. */
    @Override
    public long weightBytes(int layer) {
        return weightBytes(layer, expertCount);
    }

    /** Bytes one token reads in layer {@code layer} when {@code active} experts run: the router, then their rows. */
    public long weightBytes(int layer, int active) {
        LayerWeights lw = layers.get(layer);
        long ffn = weights.matrix(lw.wGate()).bytes() + weights.matrix(lw.wUp()).bytes() + experts.down(layer).bytes();
        return experts.router(layer).byteSize() + ffn / expertCount * active;
    }

    /** The device-side active-expert count of layer {@code layer} (valid on the host after it is transferred back). */
    public IntArray activeCount(int layer) {
        return counts[layer];
    }

    /** All layers' counts, in layer order, for {@link DeviceLlama#transferToHost}. */
    public IntArray[] activeCounts() {
        return counts.clone();
    }

    public int experts() {
        return expertCount;
    }

    /** Most partial vectors of the split-K down projection. */
    public int maxChunks() {
        return maxChunks;
    }

    public int expertSize() {
        return expertSize;
    }

    @Override
    public void close() {
        partialLogits.close();
        activeIds.close();
        hidden.close();
        partials.close();
        for (IntArray c : counts) {
            c.close();
        }
    }
}
