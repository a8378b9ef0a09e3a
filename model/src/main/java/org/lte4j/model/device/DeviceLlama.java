package org.lte4j.model.device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import org.lte4j.kernels.Attention;
import org.lte4j.kernels.FusedMatVec;
import org.lte4j.kernels.Normalization;
import org.lte4j.kernels.QuantizedInputMatVec;
import org.lte4j.kernels.Reductions;
import org.lte4j.kernels.Rope;
import org.lte4j.kernels.VectorOps;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaWeights;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.ExecutionProfile;
import org.lte4j.runtime.graph.ImmutableTaskGraph;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * A {@link LlamaModel}'s decode step on a device, computing what {@link LlamaModel#forward} does:
 * one execution plan of task graphs, "embedding", one per layer, and "output" (final norm,
 * logits, greedy argmax). Weights upload on the first step only; activations and the KV cache
 * stay on the device; each step uploads the token and its position (one int each, read by the
 * kernels on the device, so a captured step replays unchanged) and downloads only the argmax
 * token. Logits come back when {@link #forward} asks for them.
 *
 * <p>Weights stay in their file's format where a kernel reads it (F32, F16, Q8_0); BF16 becomes
 * F32 and Q4_0 becomes Q8_0, both without changing a value (see {@link WeightFormat}). RoPE is
 * the model's interleaved-pair rotation by its own inverse frequencies (Llama-3 scaling
 * included), and Qwen2's q/k/v biases are added by a kernel after the projections.
 *
 * <p>With {@link DecodeOptions#fuseLayerSteps()} (the default) an fp16 layer is five launches:
 * RMSNorm + q/k/v + RoPE + K/V store, attention, output projection + residual, RMSNorm + gate/up
 * + SiLU, down projection + residual ({@link FusedMatVec}). A Q8_0 layer is six: its FFN norms
 * apart, and the gate/up then takes four neurons per group over the normed input
 * ({@link FusedMatVec#gateUpSiluQ8_0SplitWordsFourNeurons}; Q8_0 GEMVs are bound by arithmetic,
 * and the dense Q8_0 step ran 17% faster so, docs/PERF.md). Over int8 blocks of its inputs
 * ({@link DecodeOptions.Q8_0Input#INT8_BLOCKS}, CUDA's default) a Q8_0 layer is nine: each norm
 * quantizes its output, the attention output and the hidden vector are quantized in launches of
 * their own, and every GEMV takes int8 blocks ({@link QuantizedInputMatVec}); the llama2-7b step
 * ran 19-25% faster so on the H200. Other formats run the steps one by one.
 *
 * <p>A prompt runs in batches ({@link DevicePrefill}, graphs of the same plan over the same device
 * buffers), leaving the KV cache as token-by-token decode would; the LTE sparse FFN's batches
 * route every token and zero the neurons of the experts it skips
 * ({@link DeviceFeedForward#expertRouting}).
 * Not thread-safe: one sequence, one thread.
 */
public final class DeviceLlama implements AutoCloseable {
    private static final int MAX_GROUPS = 65536;
    /**
     * Most position runs per head for {@link DecodeOptions.AttentionKernel#SPLIT_POSITIONS}: 32
     * heads in 16 runs are 512 groups, enough to keep every SM of a large GPU streaming the cache.
     */
    static final int MAX_ATTENTION_SPLITS = 16;
    /** Work-group size of the split attention kernel on OpenCL, where nothing bounds its registers (it ran in 512 on NVIDIA's). */
    static final int OPENCL_SPLIT_ATTENTION_LOCAL = 512;

    private final LlamaConfig config;
    private final LlamaWeights modelWeights;
    private final Device device;
    private final DecodeOptions options;
    private final int local;
    private final int vectorLocal;
    private final int maxContext;
    private final DeviceWeights weights;
    private final DeviceFeedForward ffn;

    // uploaded every step
    private final IntArray token = new IntArray(1);
    private final IntArray position = new IntArray(1);
    // resident on the device
    private final FloatArray x;      // residual stream [dim]
    private final FloatArray xb;     // normed input [dim]
    private final FloatArray q;      // [qDim]
    private final FloatArray k;      // [kvDim]
    private final FloatArray v;      // [kvDim]
    private final FloatArray attOut; // [qDim]
    private final FloatArray proj;   // attention or FFN output [dim]
    private final QuantizedVector quantized; // the normed x or attOut as int8 blocks, for Q8_0 layers over INT8_BLOCKS
    private final FloatArray scores; // [nHeads * maxContext]
    /** The decode attention kernel: the options', unless a head is too wide for the item-per-head kernel. */
    private final DecodeOptions.AttentionKernel attentionKernel;
    /** Position runs per head of the split attention kernel: one per 256 cached positions, at most {@link #MAX_ATTENTION_SPLITS}. */
    private final int attentionSplits;
    private final FloatArray attentionPartials; // [nHeads * attentionSplits * (headDim + 2)]
    private final IntArray attentionTickets; // [nHeads], zero between launches
    private final FloatArray logits; // [vocab], downloaded on demand
    private final FloatArray[] keyCache;   // [layer][pos * kvDim + i]
    private final FloatArray[] valueCache;
    // downloaded every step
    private final IntArray next = new IntArray(1);

    private final ExecutionPlan plan;
    private final ExecutionPlan.GraphGroup decodeStep;
    private final DevicePrefill prefill; // null: prompts run token by token
    private final long weightBytesPerToken;
    private int length;
    private ExecutionProfile lastProfile;

    private DeviceLlama(LlamaModel model, Device device, DecodeOptions options,
                        Function<DeviceWeights, DeviceFeedForward> feedForward, int prefillBatch) {
        this.config = model.config();
        this.modelWeights = model.weights();
        this.device = Objects.requireNonNull(device, "device");
        this.options = options;
        this.local = options.localSize();
        this.vectorLocal = options.vectorLocalSize();
        if (Math.max(local, vectorLocal) > device.maxWorkGroupSize()) {
            throw new IllegalArgumentException("work-group size " + Math.max(local, vectorLocal) + " exceeds the maximum of "
                    + device.maxWorkGroupSize() + " on " + device.name());
        }
        this.maxContext = Math.min(options.maxContext(), config.contextLength());
        this.weights = new DeviceWeights();
        this.ffn = feedForward.apply(weights);
        LlamaConfig c = config;
        x = new FloatArray(c.dim());
        xb = new FloatArray(c.dim());
        q = new FloatArray(c.qDim());
        k = new FloatArray(c.kvDim());
        v = new FloatArray(c.kvDim());
        attOut = new FloatArray(c.qDim());
        proj = new FloatArray(c.dim());
        quantized = new QuantizedVector(Math.max(c.dim(), c.qDim()));
        scores = new FloatArray((long) c.nHeads() * maxContext);
        // a head wider than the item-per-head kernel's private sums takes the work-group kernel
        attentionKernel = options.attention() == DecodeOptions.AttentionKernel.ITEM_PER_HEAD && c.headDim() > Attention.MAX_ITEM_HEAD_DIM
                ? DecodeOptions.AttentionKernel.PER_POSITION_ITEM : options.attention();
        attentionSplits = Math.clamp((maxContext + Attention.MIN_RUN - 1) / Attention.MIN_RUN, 1, MAX_ATTENTION_SPLITS);
        attentionPartials = new FloatArray((long) c.nHeads() * attentionSplits * (c.headDim() + 2));
        attentionTickets = new IntArray(c.nHeads());
        logits = new FloatArray(c.vocabSize());
        keyCache = new FloatArray[c.nLayers()];
        valueCache = new FloatArray[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            keyCache[l] = new FloatArray((long) maxContext * c.kvDim());
            valueCache[l] = new FloatArray((long) maxContext * c.kvDim());
        }

        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphs.add(embedding());
        for (int l = 0; l < c.nLayers(); l++) {
            graphs.add(layer(l));
        }
        ImmutableTaskGraph output = output();
        graphs.add(output);
        int decodeGraphs = graphs.size();
        this.prefill = prefillBatch == 0 ? null
                : new DevicePrefill(model, weights, prefillBatch, options, attentionKernel == DecodeOptions.AttentionKernel.ITEM_PER_HEAD,
                        maxContext, keyCache, valueCache, x,
                        ffn.expertRouting().orElse(null));
        if (prefill != null) {
            graphs.addAll(prefill.graphs());
        }
        this.plan = new ExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new))
                .withDevice(device)
                .withProfiling(options.profiling())
                .withCapture(options.capture());
        this.decodeStep = plan.group(graphs.subList(0, decodeGraphs).toArray(ImmutableTaskGraph[]::new));
        if (prefill != null) {
            prefill.bind(plan, output);
        }
        this.weightBytesPerToken = countWeightBytes();
    }

    /** The dense model on {@code device}; prompts run {@link DevicePrefill#DEFAULT_BATCH} tokens at a time. */
    public static DeviceLlama create(LlamaModel model, Device device, DecodeOptions options) {
        return create(model, device, options, DevicePrefill.DEFAULT_BATCH);
    }

    /**
     * The dense model on {@code device}, prompts running {@code prefillBatch} tokens at a time
     * (1..{@link org.lte4j.kernels.BatchMatMul#MAX_BATCH}), or token by token through the decode
     * step when it is 0.
     */
    public static DeviceLlama create(LlamaModel model, Device device, DecodeOptions options, int prefillBatch) {
        return create(model, device, options, w -> new DenseFeedForward(model, w, options), prefillBatch);
    }

    /**
     * The model with another FFN block (the LTE sparse FFN), built over the shared device weights.
     * Prompts run {@link DevicePrefill#DEFAULT_BATCH} tokens at a time.
     */
    public static DeviceLlama create(LlamaModel model, Device device, DecodeOptions options,
                                     Function<DeviceWeights, DeviceFeedForward> feedForward) {
        return create(model, device, options, feedForward, DevicePrefill.DEFAULT_BATCH);
    }

    /** As {@link #create(LlamaModel, Device, DecodeOptions, Function)}, prompts running {@code prefillBatch} tokens at a time (0: token by token). */
    public static DeviceLlama create(LlamaModel model, Device device, DecodeOptions options,
                                     Function<DeviceWeights, DeviceFeedForward> feedForward, int prefillBatch) {
        if (prefillBatch < 0) {
            throw new IllegalArgumentException("prefill batch must be >= 0 (0: token by token), was " + prefillBatch);
        }
        return new DeviceLlama(model, device, options, feedForward, prefillBatch);
    }

    // ---- the token step, top to bottom ----

    /** x = embedding row of the token. */
    private ImmutableTaskGraph embedding() {
        DeviceMatrix table = weights.matrix(modelWeights.tokenEmbedding());
        FloatArray ropeFrequencies = weights.vector(modelWeights.ropeInvFreq());
        return new TaskGraph("embedding")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, token, position)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, table.data(), ropeFrequencies, attentionTickets)
                .task(table.copyRow("embedding", token, x, local))
                .snapshot();
    }

    /** One decoder layer, as LlamaModel.forwardHidden runs it: x += Attention(RMSNorm(x)); x += FFN(RMSNorm(x)). */
    private ImmutableTaskGraph layer(int l) {
        LayerWeights lw = modelWeights.layers().get(l);
        DeviceMatrix wq = weights.matrix(lw.wq());
        DeviceMatrix wk = weights.matrix(lw.wk());
        DeviceMatrix wv = weights.matrix(lw.wv());
        DeviceMatrix wo = weights.matrix(lw.wo());
        FloatArray attnNorm = weights.vector(lw.attnNorm());
        FloatArray ffnNorm = weights.vector(lw.ffnNorm());
        String n = "l" + l + ".";
        boolean fuse = options.fuseLayerSteps() && config.headDim() % 4 == 0 && DeviceMatrix.allFusable(wq, wk, wv, wo);
        boolean int8 = fuse && overInt8Blocks(wq, wk, wv, wo);
        TaskGraph g = new TaskGraph("layer " + l)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, attnNorm, ffnNorm)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION,
                        DeviceMatrix.allGemvData(fuse ? DecodeOptions.GemvSplit.GROUPS_OF_ROWS : options.gemv(), wq, wk, wv, wo));

        // attention block
        if (fuse) {
            FloatArray bq = weights.vectorOrZeros(lw.bq(), config.qDim());
            FloatArray bk = weights.vectorOrZeros(lw.bk(), config.kvDim());
            FloatArray bv = weights.vectorOrZeros(lw.bv(), config.kvDim());
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, bq, bk, bv);
            if (int8) {
                g.task(quantized.normedQuantize(n + "attn_norm_quantize", x, attnNorm, config.dim(), config.rmsEps(), vectorLocal));
            }
            g.task(qkvRopeIntoCache(n + (int8 ? "attn_qkv_rope_kv_store" : "attn_norm_qkv_rope_kv_store"), attnNorm, wq, wk, wv, bq, bk, bv,
                    l, int8));
        } else {
            g.task(rmsNorm(n + "attn_norm", x, attnNorm, xb));
            g.task(wq.gemv(n + "q", xb, q, local, options.gemv()));
            g.task(wk.gemv(n + "k", xb, k, local, options.gemv()));
            g.task(wv.gemv(n + "v", xb, v, local, options.gemv()));
            addBias(g, n + "q_bias", q, lw.bq());
            addBias(g, n + "k_bias", k, lw.bk());
            addBias(g, n + "v_bias", v, lw.bv());
            g.task(rope(n + "rope"));
            g.task(storeKeyValue(n + "kv_store", keyCache[l], valueCache[l]));
        }
        g.task(attention(n + "attention", keyCache[l], valueCache[l]));
        if (int8) {
            g.task(quantized.quantize(n + "attn_out_quantize", attOut, config.qDim(), local));
            g.task(quantized.gemv(n + "attn_out_residual", wo, x, true, local));
        } else if (fuse || options.gemv() == DecodeOptions.GemvSplit.ITEM_PER_ROW) { // the residual add inside the GEMV
            g.task(wo.gemvAddingInto(n + "attn_out_residual", attOut, x, local,
                    fuse ? DecodeOptions.GemvSplit.GROUPS_OF_ROWS : options.gemv()));
        } else {
            g.task(wo.gemv(n + "attn_out", attOut, proj, local, options.gemv()));
            g.task(add(n + "attn_residual", x, proj));
        }

        // feed-forward block
        if (!(fuse && ffn.appendNormingAndAddingInto(g, l, x, ffnNorm, config.rmsEps()))) {
            g.task(rmsNorm(n + "ffn_norm", x, ffnNorm, xb));
            if (!ffn.appendAddingInto(g, l, xb, x)) {
                ffn.append(g, l, xb, proj);
                g.task(add(n + "ffn_residual", x, proj));
            }
        }
        return g.snapshot();
    }

    /** Final norm, logits, and the greedy token (the only download of a step). */
    private ImmutableTaskGraph output() {
        DeviceMatrix out = weights.matrix(modelWeights.output());
        FloatArray outputNorm = weights.vector(modelWeights.outputNorm());
        // a tied table the GEMV reads as stored is the embedding's buffer: the plan uploads an array once
        TaskGraph g = new TaskGraph("output")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, outputNorm)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(options.gemv(), out));
        if (options.fuseLayerSteps() && overInt8Blocks(out)) {
            g.task(quantized.normedQuantize("output_norm_quantize", x, outputNorm, config.dim(), config.rmsEps(), vectorLocal))
                    .task(quantized.gemv("logits", out, logits, false, local));
        } else {
            g.task(rmsNorm("output_norm", x, outputNorm, xb))
                    .task(out.gemv("logits", xb, logits, local, options.gemv()));
        }
        return g.task(argmax("argmax", logits, next))
                .transferToHost(DataTransferMode.EVERY_EXECUTION, next)
                .snapshot();
    }

    /** Whether these matrices' GEMVs read int8 blocks of their input: split Q8_0 on work-group GEMVs, {@link DecodeOptions.Q8_0Input#INT8_BLOCKS}. */
    private boolean overInt8Blocks(DeviceMatrix... matrices) {
        return options.q8_0Input() == DecodeOptions.Q8_0Input.INT8_BLOCKS && options.gemv() == DecodeOptions.GemvSplit.GROUPS_OF_ROWS
                && Arrays.stream(matrices).allMatch(m -> m.format() == WeightFormat.Q8_0);
    }

    // ---- tasks (each lambda captures locals only: a task is one kernel call on values) ----

    private Task rmsNorm(String name, FloatArray in, FloatArray weight, FloatArray out) {
        int n = (int) in.getSize();
        float eps = config.rmsEps();
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> Normalization.rmsNorm(ctx, in, weight, out, n, eps)).withGrid(WorkerGrid.of(vectorLocal, vectorLocal));
    }

    private void addBias(TaskGraph g, String name, FloatArray vec, float[] bias) {
        if (bias != null) {
            FloatArray b = weights.vector(bias);
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, b);
            g.task(add(name, vec, b));
        }
    }

    /**
     * The q/k/v projections (and biases), RoPE and the K/V store of layer {@code l} in one fp16 or
     * Q8_0 kernel, with the RMSNorm folded in, or, {@code overInt8Blocks}, of the normed input
     * {@link #quantized} holds.
     */
    private Task qkvRopeIntoCache(String name, FloatArray normWeight, DeviceMatrix wq, DeviceMatrix wk, DeviceMatrix wv,
                                  FloatArray bq, FloatArray bk, FloatArray bv, int l, boolean overInt8Blocks) {
        FloatArray in = x;
        IntArray pos = position;
        FloatArray frequencies = weights.vector(modelWeights.ropeInvFreq());
        FloatArray query = q;
        FloatArray keys = keyCache[l];
        FloatArray values = valueCache[l];
        int dim = config.dim();
        int qDim = config.qDim();
        int kvDim = config.kvDim();
        int headDim = config.headDim();
        float eps = config.rmsEps();
        KernelContext ctx = new KernelContext();
        Task task;
        if (overInt8Blocks) {
            IntArray xQuants = quantized.quants();
            FloatArray xScales = quantized.scales();
            IntArray qQuants = wq.splitQuants();
            HalfArray qScales = wq.splitScales();
            IntArray kQuants = wk.splitQuants();
            HalfArray kScales = wk.splitScales();
            IntArray vQuants = wv.splitQuants();
            HalfArray vScales = wv.splitScales();
            task = Task.of(name, () -> QuantizedInputMatVec.qkvRopeIntoCacheQ8_0(ctx, xQuants, xScales, qQuants, qScales, kQuants, kScales,
                    vQuants, vScales, bq, bk, bv, pos, frequencies, query, keys, values, dim, qDim, kvDim, headDim));
        } else if (wq.format() == WeightFormat.Q8_0) {
            IntArray qQuants = wq.splitQuants();
            HalfArray qScales = wq.splitScales();
            IntArray kQuants = wk.splitQuants();
            HalfArray kScales = wk.splitScales();
            IntArray vQuants = wv.splitQuants();
            HalfArray vScales = wv.splitScales();
            task = Task.of(name, () -> FusedMatVec.normedQkvRopeIntoCacheQ8_0(ctx, in, normWeight, qQuants, qScales, kQuants, kScales,
                    vQuants, vScales, bq, bk, bv, pos, frequencies, query, keys, values, dim, qDim, kvDim, headDim, eps));
        } else {
            IntArray q16 = wq.packedHalves();
            IntArray k16 = wk.packedHalves();
            IntArray v16 = wv.packedHalves();
            task = Task.of(name, () -> FusedMatVec.normedQkvRopeIntoCacheF16(ctx, in, normWeight, q16, k16, v16, bq, bk, bv,
                    pos, frequencies, query, keys, values, dim, qDim, kvDim, headDim, eps));
        }
        return task.withGrid(WorkerGrid.of((qDim + 2 * kvDim) / 4 * local, local));
    }

    private Task add(String name, FloatArray acc, FloatArray delta) {
        int n = (int) acc.getSize();
        return Task.of(name, () -> VectorOps.addInPlace(acc, delta, n)).withGrid(covering(n));
    }

    /** RoPE on q and k in one launch (one launch less per layer than rotating each). */
    private Task rope(String name) {
        FloatArray query = q;
        FloatArray key = k;
        IntArray pos = position;
        FloatArray frequencies = weights.vector(modelWeights.ropeInvFreq());
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int headDim = config.headDim();
        return Task.of(name, () -> Rope.rotateQueryAndKeyByFrequencies(query, key, pos, frequencies, heads, kvHeads, headDim))
                .withGrid(covering(headDim));
    }

    private Task storeKeyValue(String name, FloatArray keys, FloatArray values) {
        FloatArray key = k;
        FloatArray value = v;
        IntArray pos = position;
        int kvDim = config.kvDim();
        return Task.of(name, () -> Attention.storeKeyValue(key, value, keys, values, pos, kvDim)).withGrid(covering(kvDim));
    }

    private Task attention(String name, FloatArray keys, FloatArray values) {
        FloatArray query = q;
        FloatArray scratch = scores;
        FloatArray out = attOut;
        IntArray pos = position;
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int headDim = config.headDim();
        int context = maxContext;
        KernelContext ctx = new KernelContext();
        return switch (attentionKernel) {
            case PER_POSITION_ITEM -> Task.of(name, () -> Attention.attendOneQuery(ctx, query, keys, values, scratch, out, pos,
                    heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * local, local));
            // the largest group: a head's positions are its rows' serial rounds (32 lanes each), so
            // 1024 items walk them in a quarter of the rounds of 256 (one group per head only
            // fills 32 of the H200's 132 SMs, and each round is a dependent trip to memory)
            case LANES_PER_POSITION -> Task.of(name, () -> Attention.attendOneQueryLanesPerPosition(ctx, query, keys, values, scratch, out, pos,
                    heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * vectorLocal, vectorLocal));
            // one item per group: PoCL runs a group on one thread, so the heads spread over its threads
            case ITEM_PER_HEAD -> Task.of(name, () -> Attention.attendOneQueryItemPerHead(query, keys, values, scratch, out, pos, heads,
                    kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads, 1));
            case SPLIT_POSITIONS -> {
                FloatArray partials = attentionPartials;
                IntArray tickets = attentionTickets;
                int splits = attentionSplits;
                // CUDA bounds the kernel's registers to 1024-item groups (@MaxWorkGroupSize); NVIDIA's
                // OpenCL has no such bound and refused 1024 items (CL_OUT_OF_RESOURCES)
                int size = device.kind() == BackendKind.CUDA ? vectorLocal : Math.min(vectorLocal, OPENCL_SPLIT_ATTENTION_LOCAL);
                yield Task.of(name, () -> Attention.attendOneQuerySplitPositions(ctx, query, keys, values, scratch, partials, tickets, out,
                        pos, heads, kvHeads, headDim, context, splits)).withGrid(WorkerGrid.of(heads * splits * size, size));
            }
        };
    }

    private Task argmax(String name, FloatArray in, IntArray result) {
        int n = (int) in.getSize();
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> Reductions.argmaxSingleGroup(ctx, in, result, n)).withGrid(WorkerGrid.of(vectorLocal, vectorLocal));
    }

    private WorkerGrid covering(int n) {
        return WorkerGrid.covering(n, local, MAX_GROUPS);
    }

    // ---- running ----

    /** Runs {@code token} at the next position and returns the logits (a fresh array). */
    public float[] forward(int tokenId) {
        step(tokenId);
        plan.transferToHost(logits);
        return logits.toHeapArray();
    }

    /** Runs {@code token} at the next position and returns the argmax of the logits, chosen on the device. */
    public int forwardGreedy(int tokenId) {
        step(tokenId);
        return next.get(0);
    }

    /** Runs a prompt through (in batches where the model has them); returns the logits after its last token. */
    public float[] prefill(int[] tokens) {
        requireNonEmpty(tokens);
        if (prefill != null) {
            runBatches(tokens);
            plan.transferToHost(logits);
            return logits.toHeapArray();
        }
        for (int i = 0; i < tokens.length - 1; i++) {
            step(tokens[i]);
        }
        return forward(tokens[tokens.length - 1]);
    }

    /** Runs a prompt through (in batches where the model has them); returns the greedy next token. */
    public int prefillGreedy(int[] tokens) {
        requireNonEmpty(tokens);
        if (prefill != null) {
            runBatches(tokens);
            return next.get(0);
        }
        for (int t : tokens) {
            step(t);
        }
        return next.get(0);
    }

    private void step(int tokenId) {
        checkToken(tokenId);
        if (length >= maxContext) {
            throw new IllegalStateException("context full: " + maxContext + " tokens");
        }
        token.set(0, tokenId);
        position.set(0, length);
        lastProfile = plan.execute(decodeStep);
        length++;
    }

    /** The prompt at the next positions through {@link DevicePrefill}, ending with the output graph. */
    private void runBatches(int[] tokens) {
        for (int t : tokens) {
            checkToken(t);
        }
        if (length + tokens.length > maxContext) {
            throw new IllegalStateException("context full: " + maxContext + " tokens");
        }
        lastProfile = prefill.run(tokens, length);
        length += tokens.length;
    }

    private void checkToken(int tokenId) {
        if (tokenId < 0 || tokenId >= config.vocabSize()) {
            throw new IllegalArgumentException("token " + tokenId + " outside the vocabulary of " + config.vocabSize());
        }
    }

    private static void requireNonEmpty(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
    }

    /** Forgets the sequence; the cache is overwritten from position 0 (weights stay on the device). */
    public void reset() {
        length = 0;
    }

    /** Tokens in the cache (the next position). */
    public int length() {
        return length;
    }

    public int maxContext() {
        return maxContext;
    }

    public LlamaConfig config() {
        return config;
    }

    /** Token ids this decoder takes and scores: the model's vocabulary. */
    public int vocabSize() {
        return config.vocabSize();
    }

    public Device device() {
        return device;
    }

    public DecodeOptions options() {
        return options;
    }

    /** The decode attention kernel that runs: the options', unless a head is too wide for it ({@link #attentionKernel}). */
    public DecodeOptions.AttentionKernel attentionKernel() {
        return attentionKernel;
    }

    /** Whether steps after the second replay one captured recording (CUDA graphs). */
    public boolean capturing() {
        return options.capture() && device.supportsCapture();
    }

    /**
     * Copies these arrays' device contents (e.g. an FFN block's counters) to the host now; waits
     * for the device, so a caller that reads them every step pays a synchronisation per step.
     */
    public void transferToHost(NativeArray... arrays) {
        plan.transferToHost(arrays);
    }

    /** Turns device timing of every kernel and transfer on or off for the following steps. */
    public void setProfiling(boolean on) {
        plan.withProfiling(on);
    }

    /** Timing of the last step (device times only with {@link DecodeOptions#profiling()}). */
    public ExecutionProfile lastProfile() {
        return lastProfile;
    }

    /**
     * Bytes of weights one token step reads: every layer's matrices, norms and biases, the output
     * projection and final norm, one embedding row. The KV cache is not counted.
     */
    public long weightBytesPerToken() {
        return weightBytesPerToken;
    }

    private long countWeightBytes() {
        long dimBytes = 4L * config.dim();
        DeviceMatrix table = weights.matrix(modelWeights.tokenEmbedding());
        long total = table.format().rowBytes(table.cols()) + weights.matrix(modelWeights.output()).bytes() + dimBytes;
        for (int l = 0; l < config.nLayers(); l++) {
            LayerWeights lw = modelWeights.layers().get(l);
            total += weights.matrix(lw.wq()).bytes() + weights.matrix(lw.wk()).bytes()
                    + weights.matrix(lw.wv()).bytes() + weights.matrix(lw.wo()).bytes();
            total += 2 * dimBytes + ffn.weightBytes(l);
            for (float[] bias : new float[][] {lw.bq(), lw.bk(), lw.bv()}) {
                total += bias == null ? 0 : 4L * bias.length;
            }
        }
        return total;
    }

    /** Frees device buffers, kernels and the host arrays of activations and the KV cache. */
    @Override
    public void close() {
        plan.close();
        if (prefill != null) {
            prefill.close();
        }
        ffn.close();
        weights.close();
        quantized.close();
        for (NativeArray a : List.of(token, position, x, xb, q, k, v, attOut, proj, scores, attentionPartials, attentionTickets, logits,
                next)) {
            a.close();
        }
        for (int l = 0; l < keyCache.length; l++) {
            keyCache[l].close();
            valueCache[l].close();
        }
    }
}
