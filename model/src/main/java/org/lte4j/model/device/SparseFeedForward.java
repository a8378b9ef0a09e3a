package org.lte4j.model.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.lte4j.kernels.Experts;
import org.lte4j.kernels.ExpertsRowPerItem;
import org.lte4j.kernels.MatVec;
import org.lte4j.kernels.QuantizedInputMatVec;
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
 * The LTE sparse FFN on the device (DESIGN.md section 5). In a decoder with fp16 or split Q8_0
 * gate, up and down ({@link #appendNormingAndAddingInto}) a layer is four launches, the FFN's
 * RMSNorm folded into the first and the third as the dense layer folds it
 * ({@link org.lte4j.kernels.FusedMatVec}):
 * <ol>
 *   <li>{@code ffn_norm_router}: router logits of the raw residual times the norm weight, split
 *       over {@link #routerSlices} column slices (one work-group per four experts and slice, so
 *       the router fills the device), with each slice's sum of squares,
 *       {@link Router#logitsFourExpertsSplitK};</li>
 *   <li>{@code ffn_norm_compact}: the norm's scale from those squares, and the experts whose
 *       scaled logit is above the threshold's logit ({@code sigmoid(z) > tau} exactly when
 *       {@code z > ln(tau / (1 - tau))}) listed on the device in ascending order,
 *       {@link Router#compactActiveExpertsOfNormedSlices};</li>
 *   <li>{@code ffn_norm_gate_up}: {@code silu(gate xn) * up xn} for the listed experts' neurons
 *       only, on the router's weighted input scaled by the norm, groups past the list returning at
 *       once ({@link Experts#normedGateUpSiluActiveF16Pairs},
 *       {@link Experts#normedGateUpSiluActiveQ8_0SplitWordsFourNeurons}); over a list it runs as
 *       fast as the dense gate/up over as many neurons, where a gate/up that routed in every
 *       group cost the compaction launch and more (docs/PERF.md);</li>
 *   <li>{@code ffn_down_residual}: four whole output rows per group over the listed experts'
 *       columns of the model's own matrix, added into the residual stream
 *       ({@link Experts#downActiveF16PairsFourRows}, {@link Experts#downActiveQ8_0FourRows}); the
 *       fp16 down reads the list and its first weights before it waits for the gate/up.</li>
 * </ol>
 * Split Q8_0 over {@link DecodeOptions.Q8_0Input#INT8_BLOCKS} (CUDA's default) multiplies int8 blocks of
 * the inputs ({@link QuantizedInputMatVec}): the router's groups that write its weighted input
 * also quantize it ({@link Router#logitsFourExpertsSplitK}), the gate/up takes
 * those blocks, and the hidden vector is quantized in a launch of its own before the down: five
 * launches.
 * Elsewhere (F32, odd widths, or {@link #append} and {@link #appendAddingInto} on an input
 * the decoder has normed) the same router runs with norm weights of 1, then
 * {@code ffn_compact} ({@link Router#compactActiveExpertsSummingSlices}), {@code ffn_gate_up}
 * over the list ({@link Experts#gateUpSiluActiveQ8_0SplitWordsFourNeurons},
 * {@link Experts#gateUpSiluActiveF32}, {@link Experts#gateUpSiluActiveF16}, ...), and the down
 * projection: fp16 and Q8_0 as above, written or added; F32 (and other layouts of
 * {@link ExpertWeights}) split-K over the active experts into at most {@code maxChunks} partial
 * vectors ({@link Experts#downPartialsBalancedF32}), then {@code ffn_down_sum}, the partials
 * summed in a fixed order over {@link #SUM_LANES} lanes per output, written to {@code out}
 * ({@link Experts#sumDownPartialsAcrossLanes}) or added into the residual stream
 * ({@link Experts#addDownPartialsAcrossLanes}).
 * With {@link DecodeOptions.GemvSplit#ITEM_PER_ROW} (CPU OpenCL, where every barrier of the
 * work-group kernels splits PoCL's work-item loop) the FFN of a normed input runs
 * {@link ExpertsRowPerItem}'s barrier-free kernels instead, an item per row as in the dense CPU
 * decode: the router as an item-per-row GEMV, a one-item compaction, the gate/up over the list and
 * the down over the list ({@link #appendRowPerItem}).
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

    private final List<LayerWeights> layers;
    private final DeviceWeights weights;
    private final ExpertWeights experts;
    private final int local;
    private final DecodeOptions.GemvSplit split;
    private final int maxChunks;
    /** Times each layer routes (router, then compaction): 1, or more to measure what routing costs in a step. */
    private final int routingPasses;
    private final DecodeOptions.Q8_0Input q8_0Input;
    private final float minLogit;
    private final int routerSlices;
    private final int sumLanes;
    private final int dim;
    private final int expertSize;
    private final int expertCount;
    /** Norm weights of 1: the router's weighting for an input the decoder has normed already. */
    private final FloatArray ones;
    // shared by all layers (layers run one after another)
    private final FloatArray partialLogits;
    /** The router's input times the norm weight, which the fp16 gate/up reads. */
    private final FloatArray weightedInput;
    private final IntArray activeIds;
    private final FloatArray hidden;
    /** The up products of the item-per-row Q8_0 FFN, which its SwiGLU kernel joins with the gate's in {@link #hidden} (one float elsewhere). */
    private final FloatArray upProducts;
    private final FloatArray partials;
    /** One output vector per expert slot: the item-per-row fp32 down's partial sums (one float elsewhere). */
    private final FloatArray expertPartials;
    // one per layer, so every layer's count can be read after a step
    private final IntArray[] counts;
    /** The router's weighted input and the hidden vector as int8 blocks (split Q8_0 over {@link DecodeOptions.Q8_0Input#INT8_BLOCKS}). */
    private final QuantizedVector quantizedInput;
    private final QuantizedVector quantizedHidden;

    /**
     * @param threshold an expert runs when its gate {@code sigmoid(router . x)} is above this
     *                  (0 runs every expert; LTE files say 0.5)
     * @param local     work-group size of the router, compaction and gate/up kernels (the decoder's)
     * @param split     the decoder's GEMV split: with {@link DecodeOptions.GemvSplit#ITEM_PER_ROW}
     *                  (CPU OpenCL) the FFN runs {@link ExpertsRowPerItem}'s barrier-free kernels
     *                  where the formats allow ({@link #appendRowPerItem})
     * @param maxChunks most partial vectors of the split-K down projection (see
     *                  {@link #defaultMaxChunks}); more chunks, more parallelism at high sparsity
     */
    public SparseFeedForward(LlamaModel model, ExpertWeights experts, float threshold, DeviceWeights weights, int local,
                             DecodeOptions.GemvSplit split, int maxChunks) {
        this(model, experts, threshold, weights, local, split, maxChunks, 1, DecodeOptions.Q8_0Input.FLOATS);
    }

    /**
     * As above, with every layer routing {@code routingPasses} times in a row (the same router and
     * compaction again, on the same input, to the same list): a step with two passes against one
     * shows what routing costs inside a step, where a profiler's per-kernel times overstate small
     * kernels and miss what overlaps. For benchmarks; decoders route once. With
     * {@code q8_0Input} {@link DecodeOptions.Q8_0Input#INT8_BLOCKS} a split Q8_0 layer whose
     * experts are whole blocks runs its gate/up and down over int8 blocks of their inputs
     * ({@link #appendNormingAndAddingInto}).
     */
    public SparseFeedForward(LlamaModel model, ExpertWeights experts, float threshold, DeviceWeights weights, int local,
                             DecodeOptions.GemvSplit split, int maxChunks, int routingPasses, DecodeOptions.Q8_0Input q8_0Input) {
        if (routingPasses < 1) {
            throw new IllegalArgumentException("routingPasses must be >= 1, was " + routingPasses);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in [0, 1), was " + threshold);
        }
        if (maxChunks < 1) {
            throw new IllegalArgumentException("maxChunks must be >= 1, was " + maxChunks);
        }
        if (q8_0Input == DecodeOptions.Q8_0Input.INT8_BLOCKS && local < DecodeOptions.MIN_INT8_BLOCKS_LOCAL) {
            throw new IllegalArgumentException("int8 blocks need work-groups of at least " + DecodeOptions.MIN_INT8_BLOCKS_LOCAL
                    + " items, was " + local);
        }
        this.layers = model.layers();
        this.weights = weights;
        this.experts = experts;
        this.local = local;
        this.split = split;
        this.maxChunks = maxChunks;
        this.routingPasses = routingPasses;
        this.q8_0Input = q8_0Input;
        this.minLogit = minLogit(threshold);
        this.dim = model.config().dim();
        this.expertSize = experts.expertSize();
        this.expertCount = experts.experts();
        this.routerSlices = routerSlices(dim, local, q8_0Input == DecodeOptions.Q8_0Input.INT8_BLOCKS);
        this.sumLanes = Math.min(SUM_LANES, local);
        this.ones = new FloatArray(dim);
        ones.fill(1f);
        this.partialLogits = new FloatArray((long) routerSlices * (expertCount + 1)); // logits, then the slices' sums of squares
        this.weightedInput = new FloatArray(dim);
        this.activeIds = new IntArray(expertCount);
        this.hidden = new FloatArray(model.config().hiddenDim());
        boolean itemPerRow = split == DecodeOptions.GemvSplit.ITEM_PER_ROW;
        this.upProducts = new FloatArray(itemPerRow ? model.config().hiddenDim() : 1);
        this.partials = new FloatArray((long) maxChunks * dim);
        this.expertPartials = new FloatArray(itemPerRow ? (long) expertCount * dim : 1);
        this.quantizedInput = new QuantizedVector(dim);
        this.quantizedHidden = new QuantizedVector(model.config().hiddenDim());
        this.counts = new IntArray[model.config().nLayers()];
        for (int l = 0; l < counts.length; l++) {
            counts[l] = new IntArray(1);
        }
    }

    /** Task names of a layer's routing pass: {@code l3.} for the first, {@code l3.again1.} for the next. */
    private static String routingPrefix(String layerPrefix, int pass) {
        return pass == 0 ? layerPrefix : layerPrefix + "again" + pass + ".";
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
     * experts make 688 groups instead of 86. With {@code wholeBlocks} (a router that quantizes its
     * weighted input, slice by slice) fewer where needed so that a slice is whole int8 blocks of 32
     * (one slice always is, dim being a multiple of 32).
     */
    static int routerSlices(int dim, int local, boolean wholeBlocks) {
        int slices = Math.max(1, Math.min(MAX_ROUTER_SLICES, dim / (2 * local)));
        while (wholeBlocks && slices > 1 && (dim + slices - 1) / slices % MatVec.Q8_0_BLOCK != 0) {
            slices--;
        }
        return slices;
    }

    /**
     * 128 partial vectors on GPUs (a 4096-wide layer then runs up to 262144 down items: with 32,
     * the first H200 run reached only about half the dense FFN's bandwidth), 4 elsewhere.
     */
    public static int defaultMaxChunks(boolean gpu) {
        return gpu ? 128 : 4;
    }

    /** {@code out = FFN(in)}, {@code in} normed already. */
    @Override
    public void append(TaskGraph graph, int layer, FloatArray in, FloatArray out) {
        append(graph, layer, in, out, false);
    }

    /** {@code acc += FFN(in)}, {@code in} normed already: the last kernel adds into the residual stream. */
    @Override
    public boolean appendAddingInto(TaskGraph graph, int layer, FloatArray in, FloatArray acc) {
        append(graph, layer, in, acc, true);
        return true;
    }

    /**
     * {@code residual += FFN(RMSNorm(residual) * normWeight)} with the norm folded into the
     * router and the gate/up (see the class comment): four launches (the router, the compaction
     * with the norm's scale, the gate/up over the list, the down) for fp16 gate, up and down with
     * even widths and for split Q8_0 ones; false, appending nothing, otherwise (the decoder then
     * norms into a vector and calls {@link #appendAddingInto}).
     */
    @Override
    public boolean appendNormingAndAddingInto(TaskGraph graph, int layer, FloatArray residual, FloatArray normWeight, float eps) {
        if (split == DecodeOptions.GemvSplit.ITEM_PER_ROW) {
            return false; // work-group kernels: a CPU norms apart and runs the item-per-row FFN
        }
        LayerWeights lw = layers.get(layer);
        DeviceMatrix gate = weights.matrix(lw.wGate());
        DeviceMatrix up = weights.matrix(lw.wUp());
        ExpertWeights.Down down = experts.down(layer);
        boolean f16 = DeviceMatrix.allPackedHalves(gate, up) && down.layout() == ExpertWeights.DownLayout.ROWS_F16_PAIRS
                && dim % 2 == 0 && expertSize % 2 == 0;
        boolean q8_0 = gate.format() == WeightFormat.Q8_0 && up.format() == WeightFormat.Q8_0
                && down.layout() == ExpertWeights.DownLayout.ROWS_Q8_0_SPLIT && expertSize % 4 == 0;
        if (!(f16 || q8_0)) {
            return false;
        }
        String l = "l" + layer + ".";
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gate, up));
        KernelContext ctx = new KernelContext();
        FloatArray z = partialLogits;
        int slices = routerSlices;
        float min = minLogit;
        IntArray ids = activeIds;
        IntArray count = counts[layer];
        FloatArray h = hidden;
        int width = dim;
        int size = expertSize;
        int experts = expertCount;
        FloatArray y = weightedInput;
        boolean int8 = q8_0 && q8_0Input == DecodeOptions.Q8_0Input.INT8_BLOCKS && expertSize % MatVec.Q8_0_BLOCK == 0
                && dim % MatVec.Q8_0_BLOCK == 0;
        IntArray xq = quantizedInput.quants();
        FloatArray xs = quantizedInput.scales();
        for (int pass = 0; pass < routingPasses; pass++) {
            String p = routingPrefix(l, pass);
            graph.task(router(graph, p + "ffn_norm_router", layer, residual, normWeight, int8));
            // the list (its active groups are the gate/up grid's first), from the logits scaled by the norm
            graph.task(Task.of(p + "ffn_norm_compact", () -> Router.compactActiveExpertsOfNormedSlices(ctx, z, slices, min, ids, count,
                            experts, width, eps))
                    .withGrid(WorkerGrid.of(local, local)));
        }
        if (f16) {
            IntArray g = gate.packedHalves();
            IntArray u = up.packedHalves();
            graph.task(Task.of(l + "ffn_norm_gate_up", () -> Experts.normedGateUpSiluActiveF16Pairs(ctx, g, u, y, z, slices, experts, eps,
                            ids, count, h, width, size))
                    .withGrid(WorkerGrid.of(experts * size / 2 * local, local)));
        } else {
            IntArray gq = gate.splitQuants();
            HalfArray gs = gate.splitScales();
            IntArray uq = up.splitQuants();
            HalfArray us = up.splitScales();
            graph.task((int8
                    ? Task.of(l + "ffn_norm_gate_up", () -> QuantizedInputMatVec.normedGateUpSiluActiveQ8_0FourNeurons(ctx, gq, gs, uq, us,
                            xq, xs, z, slices, experts, eps, ids, count, h, width, size))
                    : Task.of(l + "ffn_norm_gate_up", () -> Experts.normedGateUpSiluActiveQ8_0SplitWordsFourNeurons(ctx, gq, gs, uq, us,
                            y, z, slices, experts, eps, ids, count, h, width, size)))
                    .withGrid(WorkerGrid.of(experts * size / 4 * local, local)));
        }
        if (int8) {
            appendDownOverInt8Blocks(graph, l, down, count, residual);
            return true;
        }
        appendDown(graph, l, layer, residual, true);
        return true;
    }

    /** The FFN of an input normed already: router (norm weights of 1), compaction, gate/up over the list, down. */
    private void append(TaskGraph graph, int layer, FloatArray in, FloatArray out, boolean adding) {
        LayerWeights lw = layers.get(layer);
        String l = "l" + layer + ".";
        if (split == DecodeOptions.GemvSplit.ITEM_PER_ROW && appendRowPerItem(graph, l, layer, in, out, adding)) {
            return;
        }
        KernelContext ctx = new KernelContext();
        FloatArray z = partialLogits;
        int slices = routerSlices;
        float min = minLogit;
        IntArray ids = activeIds;
        IntArray count = counts[layer];
        int experts = expertCount;
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, ones);
        for (int pass = 0; pass < routingPasses; pass++) {
            String p = routingPrefix(l, pass);
            graph.task(router(graph, p + "ffn_router", layer, in, ones, false));
            graph.task(Task.of(p + "ffn_compact", () -> Router.compactActiveExpertsSummingSlices(ctx, z, slices, min, ids, count, experts))
                    .withGrid(WorkerGrid.of(local, local)));
        }
        graph.task(gateUp(graph, l + "ffn_gate_up", weights.matrix(lw.wGate()), weights.matrix(lw.wUp()), in, count));
        appendDown(graph, l, layer, out, adding);
    }

    /**
     * The FFN of a normed input in {@link ExpertsRowPerItem}'s item-per-row kernels (CPU OpenCL):
     * {@code ffn_router} (an item per expert, {@link MatVec#gemvF32RowPerItem}), {@code ffn_compact}
     * ({@link Router#compactActiveExpertsInOneItem}), {@code ffn_gate_up} over the list (Q8_0:
     * {@code ffn_gate}, {@code ffn_up} and {@code ffn_swiglu}), and the down: fp32 from the
     * expert-major copy in {@link ExpertWeights}, one stream per active expert
     * ({@code ffn_down_partials}, then {@code ffn_down_sum}), Q8_0 likewise from its expert-major
     * quants and scales; fp16 over the active experts' pieces of each row of the model's own
     * matrix ({@code ffn_down}). Gate and up (and the fp16 down) are read as the dense
     * item-per-row GEMVs read them. False, appending nothing, where the three matrices differ in
     * format, fp16 rows or experts are odd, or a Q8_0 expert is not whole blocks.
     */
    private boolean appendRowPerItem(TaskGraph graph, String l, int layer, FloatArray in, FloatArray out, boolean adding) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix gate = weights.matrix(lw.wGate());
        DeviceMatrix up = weights.matrix(lw.wUp());
        DeviceMatrix down = weights.matrix(lw.wDown());
        WeightFormat format = gate.format();
        boolean fits = switch (format) {
            case F32 -> experts.down(layer).layout() == ExpertWeights.DownLayout.TRANSPOSED_F32;
            case F16 -> dim % 2 == 0 && expertSize % 2 == 0;
            case Q8_0 -> expertSize % MatVec.Q8_0_BLOCK == 0;
        };
        if (!fits || up.format() != format || down.format() != format) {
            return false;
        }
        FloatArray router = experts.router(layer);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, router);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(split, gate, up));
        FloatArray z = partialLogits;
        float min = minLogit;
        IntArray ids = activeIds;
        IntArray count = counts[layer];
        int width = dim;
        int expertsPerLayer = expertCount;
        for (int pass = 0; pass < routingPasses; pass++) {
            String p = routingPrefix(l, pass);
            graph.task(Task.of(p + "ffn_router", () -> MatVec.gemvF32RowPerItem(router, in, z, expertsPerLayer, width))
                    .withGrid(WorkerGrid.covering(expertsPerLayer, local, 65536)));
            graph.task(Task.of(p + "ffn_compact", () -> Router.compactActiveExpertsInOneItem(z, min, ids, count, expertsPerLayer))
                    .withGrid(WorkerGrid.of(1, 1)));
        }
        appendGateUpRowPerItem(graph, l, gate, up, in, count);
        appendDownRowPerItem(graph, l, layer, down, out, adding, count);
        return true;
    }

    /** {@code hidden[n] = silu(gate_n . in) * (up_n . in)} over the listed experts' neurons, an item per neuron (Q8_0: two products, then their SwiGLU). */
    private void appendGateUpRowPerItem(TaskGraph graph, String l, DeviceMatrix gate, DeviceMatrix up, FloatArray in, IntArray count) {
        IntArray ids = activeIds;
        FloatArray h = hidden;
        int width = dim;
        int size = expertSize;
        int neurons = expertCount * expertSize;
        WorkerGrid grid = WorkerGrid.covering(neurons, local, 65536);
        switch (gate.format()) {
            case F32 -> {
                FloatArray g = (FloatArray) gate.gemvData();
                FloatArray u = (FloatArray) up.gemvData();
                graph.task(Task.of(l + "ffn_gate_up", () -> ExpertsRowPerItem.gateUpSiluActiveF32(g, u, in, ids, count, h, width, size, neurons))
                        .withGrid(grid));
            }
            case F16 -> {
                IntArray g = (IntArray) gate.gemvData();
                IntArray u = (IntArray) up.gemvData();
                graph.task(Task.of(l + "ffn_gate_up", () -> ExpertsRowPerItem.gateUpSiluActiveF16Pairs(g, u, in, ids, count, h, width, size,
                        neurons)).withGrid(grid));
            }
            case Q8_0 -> { // one Q8_0 kernel doing both products and SiLU compiles to scalar code on PoCL
                ByteArray g = (ByteArray) gate.gemvData();
                ByteArray u = (ByteArray) up.gemvData();
                FloatArray upOut = upProducts;
                graph.task(Task.of(l + "ffn_gate", () -> ExpertsRowPerItem.rowsActiveQ8_0(g, in, ids, count, h, width, size, neurons))
                        .withGrid(grid));
                graph.task(Task.of(l + "ffn_up", () -> ExpertsRowPerItem.rowsActiveQ8_0(u, in, ids, count, upOut, width, size, neurons))
                        .withGrid(grid));
                graph.task(Task.of(l + "ffn_swiglu", () -> ExpertsRowPerItem.siluOfGateTimesUpActive(h, upOut, ids, count, size, neurons))
                        .withGrid(grid));
            }
        }
    }

    /**
     * The down over the listed experts, written to or added into {@code out}: fp32 and Q8_0 from
     * the expert-major copies in {@link ExpertWeights}, an item per active expert streaming its
     * weights ({@code ffn_down_partials}), then the slots summed ({@code ffn_down_sum}); fp16 an
     * item per output row over the model's own matrix ({@code ffn_down}). Uploads what it reads
     * (first execution).
     */
    private void appendDownRowPerItem(TaskGraph graph, String l, int layer, DeviceMatrix down, FloatArray out, boolean adding,
                                      IntArray count) {
        ExpertWeights.Down expertDown = experts.down(layer);
        IntArray ids = activeIds;
        FloatArray h = hidden;
        FloatArray p = expertPartials;
        int width = dim;
        int size = expertSize;
        int expertsPerLayer = expertCount;
        int neurons = expertsPerLayer * size;
        WorkerGrid rows = WorkerGrid.covering(width, local, 65536);
        // an item per slot, in groups of one so that the few active slots spread over the cores
        WorkerGrid slots = WorkerGrid.covering(expertsPerLayer, 1, 65536);
        switch (expertDown.layout()) {
            case TRANSPOSED_F32 -> {
                FloatArray d = (FloatArray) expertDown.data();
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, d);
                graph.task(Task.of(l + "ffn_down_partials", () -> ExpertsRowPerItem.downPartialsOfExpertsF32(d, h, ids, count, p, width, size,
                        expertsPerLayer)).withGrid(slots));
            }
            case EXPERT_MAJOR_Q8_0 -> {
                ByteArray q = (ByteArray) expertDown.data();
                FloatArray d = (FloatArray) expertDown.scales();
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, d);
                graph.task(Task.of(l + "ffn_down_partials", () -> ExpertsRowPerItem.downPartialsOfExpertsQ8_0(q, d, h, ids, count, p, width,
                        size, expertsPerLayer)).withGrid(slots));
            }
            case ROWS_F16_PAIRS -> {
                IntArray d = (IntArray) down.gemvData();
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, d);
                graph.task(Task.of(l + "ffn_down", () -> ExpertsRowPerItem.downActiveF16Pairs(d, h, ids, count, out, adding, width, neurons,
                        size)).withGrid(rows));
                return;
            }
            case ROWS_Q8_0_SPLIT -> throw new IllegalStateException("layer " + layer + "'s experts were laid out for the work-group"
                    + " kernels; make the ExpertWeights with the decoder's GEMV split");
        }
        graph.task(Task.of(l + "ffn_down_sum", () -> ExpertsRowPerItem.sumPartialsOfExperts(p, count, out, adding, width)).withGrid(rows));
    }

    /**
     * The split-K router's logits of {@code x * normWeight} and its slices' sums of squares, into
     * {@link #partialLogits} (and {@code x * normWeight} into {@link #weightedInput}, and with
     * {@code quantizing} as int8 blocks into {@link #quantizedInput}).
     */
    private Task router(TaskGraph graph, String name, int layer, FloatArray x, FloatArray normWeight, boolean quantizing) {
        FloatArray router = experts.router(layer);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, router);
        KernelContext ctx = new KernelContext();
        FloatArray z = partialLogits;
        FloatArray y = weightedInput;
        int experts = expertCount;
        int width = dim;
        int slices = routerSlices;
        IntArray xq = quantizedInput.quants();
        FloatArray xs = quantizedInput.scales();
        return Task.of(name, () -> Router.logitsFourExpertsSplitK(ctx, router, x, normWeight, z, y, experts, width, slices, quantizing,
                        xq, xs))
                .withGrid(WorkerGrid.of((experts + 3) / 4 * slices * local, local));
    }

    /**
     * The hidden vector quantized to int8 blocks (an expert of 32 neurons is one block, so each
     * listed expert's blocks are its own), then the down over the listed experts of the model's
     * own split Q8_0 matrix, added into {@code residual}.
     */
    private void appendDownOverInt8Blocks(TaskGraph graph, String l, ExpertWeights.Down down, IntArray count, FloatArray residual) {
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, down.arrays());
        KernelContext ctx = new KernelContext();
        IntArray quants = (IntArray) down.data();
        HalfArray scales = (HalfArray) down.scales();
        IntArray hq = quantizedHidden.quants();
        FloatArray hs = quantizedHidden.scales();
        IntArray ids = activeIds;
        int width = dim;
        int size = expertSize;
        int ffnDim = expertCount * expertSize;
        graph.task(quantizedHidden.quantize(l + "ffn_hidden_quantize", hidden, ffnDim, local));
        graph.task(Task.of(l + "ffn_down_residual", () -> QuantizedInputMatVec.downActiveQ8_0FourRows(ctx, quants, scales, hq, hs, ids,
                count, residual, true, width, ffnDim, size)).withGrid(WorkerGrid.of((width + 3) / 4 * local, local)));
    }

    /** The down projection over the listed experts, written to or added into {@code out}, in the layout of {@link ExpertWeights}. */
    private void appendDown(TaskGraph graph, String l, int layer, FloatArray out, boolean adding) {
        ExpertWeights.Down down = experts.down(layer);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, down.arrays());
        KernelContext ctx = new KernelContext();
        IntArray count = counts[layer];
        IntArray ids = activeIds;
        FloatArray h = hidden;
        FloatArray p = partials;
        int width = dim;
        int size = expertSize;
        int chunks = maxChunks;
        int ffnDim = expertCount * expertSize;
        switch (down.layout()) {
            case ROWS_F16_PAIRS -> { // four whole output rows per group: no partials to sum
                IntArray d = (IntArray) down.data();
                graph.task(Task.of(l + (adding ? "ffn_down_residual" : "ffn_down"), () -> Experts.downActiveF16PairsFourRows(ctx, d, h, ids,
                        count, out, adding, width, ffnDim, size)).withGrid(WorkerGrid.of((width + 3) / 4 * local, local)));
            }
            case TRANSPOSED_F32 -> {
                FloatArray d = (FloatArray) down.data();
                graph.task(Task.of(l + "ffn_down", () -> Experts.downPartialsBalancedF32(ctx, d, h, ids, count, p, width, size, chunks))
                        .withGrid(WorkerGrid.covering((long) chunks * width, local, 65536)));
                graph.task(sumOfPartials(l + "ffn_down_sum", out, count, adding));
            }
            case EXPERT_MAJOR_Q8_0 -> throw new IllegalStateException("layer " + layer + "'s experts were laid out for the item-per-row"
                    + " kernels of CPU OpenCL; make the ExpertWeights with the decoder's GEMV split");
            case ROWS_Q8_0_SPLIT -> { // four whole output rows per group, as fp16
                IntArray quants = (IntArray) down.data();
                HalfArray scales = (HalfArray) down.scales();
                graph.task(Task.of(l + (adding ? "ffn_down_residual" : "ffn_down"), () -> Experts.downActiveQ8_0FourRows(ctx, quants, scales,
                        h, ids, count, out, adding, width, ffnDim, size)).withGrid(WorkerGrid.of((width + 3) / 4 * local, local)));
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
            case F16 -> { // an input normed already, or odd widths: one half per element
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

    /**
     * The routers, the downs this block reads as matrices the batch matmuls take (over the same
     * arrays, so the device holds them once), and the active counts. The transposed fp32 down (F32,
     * BF16 and odd expert sizes) is no matrix the batch matmuls read: there the batches read the
     * model's own down, one more down per layer on the device once a prompt has run.
     */
    @Override
    public Optional<DevicePrefill.ExpertRouting> expertRouting() {
        int hiddenDim = expertCount * expertSize;
        List<DeviceMatrix> routers = new ArrayList<>();
        List<DeviceMatrix> downs = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            FloatArray router = experts.router(l);
            routers.add(new DeviceMatrix("blk." + l + ".ffn_router", WeightFormat.F32, router, List.of(router), expertCount, dim));
            ExpertWeights.Down d = experts.down(l);
            String name = layers.get(l).wDown().name();
            downs.add(switch (d.layout()) {
                case ROWS_F16_PAIRS -> new DeviceMatrix(name, WeightFormat.F16, d.data(), List.of(d.data()), dim, hiddenDim);
                // only work-group kernels read this layout, and they read the split arrays alone: no blocks to hold
                case ROWS_Q8_0_SPLIT -> new DeviceMatrix(name, WeightFormat.Q8_0, d.data(), List.of(d.data(), d.scales()), dim, hiddenDim);
                case EXPERT_MAJOR_Q8_0, TRANSPOSED_F32 -> weights.matrix(layers.get(l).wDown());
            });
        }
        return Optional.of(new DevicePrefill.ExpertRouting(routers, downs, List.of(counts), expertSize, minLogit));
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
        ones.close();
        partialLogits.close();
        weightedInput.close();
        activeIds.close();
        hidden.close();
        upProducts.close();
        partials.close();
        expertPartials.close();
        quantizedInput.close();
        quantizedHidden.close();
        for (IntArray c : counts) {
            c.close();
        }
    }
}
