package org.lte4j.model.device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.lte4j.kernels.BatchAttention;
import org.lte4j.kernels.BatchMatMul;
import org.lte4j.kernels.TokenBatch;
import org.lte4j.kernels.VectorOps;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaWeights;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.ExecutionProfile;
import org.lte4j.runtime.graph.ImmutableTaskGraph;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Prompt prefill on a device in batches of up to {@link #batch()} tokens: what a
 * {@link DeviceLlama} decode step does, for a whole batch at once, so every weight matrix is
 * read once per batch instead of once per token ({@link BatchMatMul}). The graphs live in the
 * decode's {@link ExecutionPlan} and use its device buffers: the weights (uploaded once for both),
 * the KV caches (filled at positions {@code start .. start + n - 1} exactly as token-by-token
 * decode fills them, up to float rounding) and the residual vector that the decode's output graph
 * turns into logits.
 *
 * <p>Graphs: "prefill embedding" (uploads the batch's token ids and {@code span} = {first
 * position, valid tokens} every execution), one "prefill layer N" per layer, and "prefill
 * handoff" (the last valid token's residual into the decode's vector). A batch runs as one
 * {@link ExecutionPlan.GraphGroup}; the prompt's last batch adds the handoff and the decode's
 * output graph. Both groups serve every batch, full or partial, so each is captured once.
 *
 * <p>Where the decode multiplies split Q8_0 weights with int8 blocks of their inputs
 * ({@link DecodeOptions.Q8_0Input#INT8_BLOCKS}, CUDA's default) the batch's matmuls do too: each
 * matmul input is quantized once, before the matmuls that read it.
 *
 * <p>With {@link ExpertRouting} (the LTE sparse FFN) each layer also runs the router over the
 * batch and zeroes the hidden neurons of every expert a token's router skips before the down
 * projection: the sum the sparse decode forms over the active experts only, here computed over
 * all of them (a batch is bound by arithmetic, not by weight bytes). The last token's active
 * count is left where the decode's compaction leaves it. Not thread-safe, like {@link DeviceLlama}.
 */
public final class DevicePrefill implements AutoCloseable {
    /**
     * What a batched prompt reads to choose experts as the LTE sparse decode does, per layer: the
     * router ({@code [experts, dim]} fp32), the down projection as the sparse decode holds it (so
     * the device keeps one copy) and the active count its compaction writes. An expert runs for a
     * token when its router logit is above {@code minLogit}.
     */
    public record ExpertRouting(List<DeviceMatrix> routers, List<DeviceMatrix> downs, List<IntArray> activeCounts, int expertSize,
                                float minLogit) {
        public ExpertRouting {
            routers = List.copyOf(routers);
            downs = List.copyOf(downs);
            activeCounts = List.copyOf(activeCounts);
        }
    }

    /** Tokens per batch when the caller does not choose. */
    public static final int DEFAULT_BATCH = 16;
    private static final int MAX_GROUPS = 65536;

    private final LlamaConfig config;
    private final LlamaWeights modelWeights;
    private final DeviceWeights weights;
    private final int batch;
    private final int local;
    private final int matMulLocal;
    private final DecodeOptions.GemvSplit gemv;
    /** Whether split Q8_0 matrices multiply int8 blocks of their input, as the decode does ({@link DecodeOptions#q8_0Input}). */
    private final boolean int8Input;
    private final int vectorLocal;
    private final boolean attentionItemPerHead;
    private final int maxContext;
    private final FloatArray[] keyCache;
    private final FloatArray[] valueCache;
    private final FloatArray residual;
    private final ExpertRouting routing; // null: the dense FFN

    // uploaded every batch
    private final IntArray tokens;
    private final IntArray span = new IntArray(2);
    // resident on the device, token-major [batch][n]
    private final FloatArray x;
    private final FloatArray xb;
    private final FloatArray q;
    private final FloatArray k;
    private final FloatArray v;
    private final FloatArray attOut;
    private final FloatArray proj;
    private final FloatArray gate;
    private final FloatArray up;
    private final FloatArray scores;
    private final FloatArray routerLogits; // [batch][experts]; one float without routing
    /** The input of the Q8_0 matmuls as int8 blocks, token-major, when {@link #int8Input}; one block otherwise. */
    private final QuantizedVector quantized;

    private final List<ImmutableTaskGraph> batchGraphs = new ArrayList<>();
    private final ImmutableTaskGraph handoff;
    private ExecutionPlan plan;
    private ExecutionPlan.GraphGroup middleBatch;
    private ExecutionPlan.GraphGroup lastBatch;

    /**
     * Builds the graphs over {@code weights} (the decode's, so both read the same arrays).
     *
     * @param batch       tokens per batch, 1..{@link BatchMatMul#MAX_BATCH}
     * @param options     the decode's options: its work-group sizes ({@code localSize} for the
     *                    row-per-group kernels, attention and the matmuls, which use at most
     *                    {@link BatchMatMul#MAX_LOCAL_SIZE} of it; {@code vectorLocalSize} for the
     *                    per-token RMSNorm), its GEMV split (with {@link DecodeOptions.GemvSplit#ITEM_PER_ROW},
     *                    CPU OpenCL, the matmuls run an item per row over the decode's own arrays,
     *                    {@code BatchMatMul....RowPerItem}, else four rows per item,
     *                    {@code BatchMatMul....FourRows}) and its Q8_0 input (over
     *                    {@link DecodeOptions.Q8_0Input#INT8_BLOCKS} the four-row Q8_0 matmuls take
     *                    int8 blocks of their input, {@link BatchMatMul#matMulQ8_0Int8InputFourRows})
     * @param attentionItemPerHead whether attention runs an item per (token, head) pair, as the
     *                    decode's {@link DecodeOptions.AttentionKernel#ITEM_PER_HEAD} (CPUs), else a
     *                    work-group per pair
     * @param keyCache    the decode's key cache per layer ({@code maxContext * kvDim} floats each)
     * @param valueCache  the decode's value cache per layer
     * @param residual    the decode's residual vector ({@code dim} floats) that its output graph reads
     * @param routing     the LTE sparse FFN's routers, downs and active counts, or null for the dense FFN
     */
    public DevicePrefill(LlamaModel model, DeviceWeights weights, int batch, DecodeOptions options, boolean attentionItemPerHead,
                         int maxContext, FloatArray[] keyCache, FloatArray[] valueCache, FloatArray residual, ExpertRouting routing) {
        if (batch < 1 || batch > BatchMatMul.MAX_BATCH) {
            throw new IllegalArgumentException("prefill batch must be in 1.." + BatchMatMul.MAX_BATCH + ", was " + batch);
        }
        this.config = model.config();
        this.modelWeights = model.weights();
        this.weights = Objects.requireNonNull(weights, "weights");
        this.batch = batch;
        this.local = options.localSize();
        this.matMulLocal = Math.min(local, BatchMatMul.MAX_LOCAL_SIZE);
        this.vectorLocal = options.vectorLocalSize();
        this.gemv = options.gemv();
        this.int8Input = gemv == DecodeOptions.GemvSplit.GROUPS_OF_ROWS && options.q8_0Input() == DecodeOptions.Q8_0Input.INT8_BLOCKS;
        this.attentionItemPerHead = attentionItemPerHead;
        this.maxContext = maxContext;
        this.keyCache = keyCache.clone();
        this.valueCache = valueCache.clone();
        this.residual = Objects.requireNonNull(residual, "residual");
        this.routing = routing;
        LlamaConfig c = config;
        tokens = new IntArray(batch);
        x = new FloatArray((long) batch * c.dim());
        xb = new FloatArray((long) batch * c.dim());
        q = new FloatArray((long) batch * c.qDim());
        k = new FloatArray((long) batch * c.kvDim());
        v = new FloatArray((long) batch * c.kvDim());
        attOut = new FloatArray((long) batch * c.qDim());
        proj = new FloatArray((long) batch * c.dim());
        gate = new FloatArray((long) batch * c.hiddenDim());
        up = new FloatArray((long) batch * c.hiddenDim());
        scores = new FloatArray((long) batch * c.nHeads() * maxContext);
        routerLogits = new FloatArray(routing == null ? 1 : (long) batch * (c.hiddenDim() / routing.expertSize()));
        quantized = new QuantizedVector(int8Input ? batch * Math.max(c.dim(), Math.max(c.qDim(), c.hiddenDim())) : 1);

        batchGraphs.add(embedding());
        for (int l = 0; l < c.nLayers(); l++) {
            batchGraphs.add(layer(l));
        }
        handoff = new TaskGraph("prefill handoff")
                .task(copyLastToken("prefill_last_token"))
                .snapshot();
    }

    /** Every graph, for the plan: the batch graphs, then the handoff. */
    public List<ImmutableTaskGraph> graphs() {
        List<ImmutableTaskGraph> all = new ArrayList<>(batchGraphs);
        all.add(handoff);
        return all;
    }

    /**
     * Makes this prefill's graph groups in {@code plan}, which must hold {@link #graphs()} and
     * {@code output} (the decode graph that turns the residual into logits and the greedy token).
     */
    public void bind(ExecutionPlan plan, ImmutableTaskGraph output) {
        this.plan = plan;
        this.middleBatch = plan.group(batchGraphs.toArray(ImmutableTaskGraph[]::new));
        List<ImmutableTaskGraph> last = new ArrayList<>(batchGraphs);
        last.add(handoff);
        last.add(output);
        this.lastBatch = plan.group(last.toArray(ImmutableTaskGraph[]::new));
    }

    /** Tokens per batch. */
    public int batch() {
        return batch;
    }

    /**
     * Runs {@code prompt} at positions {@code start ..}, a batch at a time, ending with the
     * decode's output graph for the last token. Token ids must already be checked.
     *
     * @return the profile of the last batch
     */
    public ExecutionProfile run(int[] prompt, int start) {
        if (plan == null) {
            throw new IllegalStateException("DevicePrefill.bind must be called before run");
        }
        if (start + prompt.length > maxContext) {
            throw new IllegalStateException("context full: a prompt of " + prompt.length + " tokens after " + start
                    + " does not fit " + maxContext + " tokens");
        }
        ExecutionProfile profile = null;
        for (int from = 0; from < prompt.length; from += batch) {
            int count = Math.min(batch, prompt.length - from);
            for (int b = 0; b < batch; b++) {
                tokens.set(b, b < count ? prompt[from + b] : 0);
            }
            span.set(0, start + from);
            span.set(1, count);
            profile = plan.execute(from + count == prompt.length ? lastBatch : middleBatch);
        }
        return profile;
    }

    // ---- graphs ----

    private ImmutableTaskGraph embedding() {
        DeviceMatrix table = weights.matrix(modelWeights.tokenEmbedding());
        return new TaskGraph("prefill embedding")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, span)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, table.data())
                // zeros, once: rows of a partial batch that no kernel writes stay finite
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x, xb, attOut)
                .task(copyRows("prefill_embedding", table))
                .snapshot();
    }

    /** One decoder layer for the batch, as DeviceLlama's layer graph runs it for one token. */
    private ImmutableTaskGraph layer(int l) {
        LayerWeights lw = modelWeights.layers().get(l);
        DeviceMatrix wq = weights.matrix(lw.wq());
        DeviceMatrix wk = weights.matrix(lw.wk());
        DeviceMatrix wv = weights.matrix(lw.wv());
        DeviceMatrix wo = weights.matrix(lw.wo());
        DeviceMatrix wGate = weights.matrix(lw.wGate());
        DeviceMatrix wUp = weights.matrix(lw.wUp());
        DeviceMatrix wDown = routing == null ? weights.matrix(lw.wDown()) : routing.downs().get(l);
        FloatArray attnNorm = weights.vector(lw.attnNorm());
        FloatArray ffnNorm = weights.vector(lw.ffnNorm());
        FloatArray bq = weights.vector(lw.bq());
        FloatArray bk = weights.vector(lw.bk());
        FloatArray bv = weights.vector(lw.bv());
        FloatArray frequencies = weights.vector(modelWeights.ropeInvFreq());
        String n = "prefill.l" + l + ".";
        LlamaConfig c = config;
        TaskGraph g = new TaskGraph("prefill layer " + l)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, present(attnNorm, bq, bk, bv, ffnNorm, frequencies))
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gemv, wq, wk, wv, wo, wGate, wUp, wDown));
        if (routing != null) {
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(gemv, routing.routers().get(l)));
        }

        g.task(rmsNorm(n + "attn_norm", x, attnNorm, xb));
        quantizeFor(g, n + "attn_norm_q8", xb, c.dim(), wq, wk, wv);
        g.task(matMul(n + "q", wq, xb, q));
        g.task(matMul(n + "k", wk, xb, k));
        g.task(matMul(n + "v", wv, xb, v));
        addBias(g, n + "q_bias", q, bq);
        addBias(g, n + "k_bias", k, bk);
        addBias(g, n + "v_bias", v, bv);
        g.task(rope(n + "rope", frequencies));
        g.task(storeKeysValues(n + "kv_store", keyCache[l], valueCache[l]));
        g.task(attention(n + "attention", keyCache[l], valueCache[l]));
        quantizeFor(g, n + "attention_q8", attOut, c.qDim(), wo);
        g.task(matMul(n + "attn_out", wo, attOut, proj));
        g.task(add(n + "attn_residual", x, proj));

        g.task(rmsNorm(n + "ffn_norm", x, ffnNorm, xb));
        quantizeFor(g, n + "ffn_norm_q8", xb, c.dim(), wGate, wUp);
        g.task(matMul(n + "ffn_gate", wGate, xb, gate));
        g.task(matMul(n + "ffn_up", wUp, xb, up));
        if (routing == null) {
            g.task(siluGateTimesUp(n + "swiglu"));
        } else {
            g.task(matMul(n + "ffn_router", routing.routers().get(l), xb, routerLogits));
            g.task(siluGateTimesUpOfActiveExperts(n + "swiglu_active_experts"));
            g.task(countActiveExpertsOfLastToken(n + "ffn_active_count", routing.activeCounts().get(l)));
        }
        quantizeFor(g, n + "hidden_q8", gate, c.hiddenDim(), wDown);
        g.task(matMul(n + "ffn_down", wDown, gate, proj));
        g.task(add(n + "ffn_residual", x, proj));
        return g.snapshot();
    }

    // ---- tasks (each lambda captures locals only) ----

    /**
     * The batch's {@code in} ({@code n} floats a token) as int8 blocks, where one of {@code readers}
     * will take them: a split Q8_0 matrix when {@link #int8Input}. {@link #matMul} of such a matrix
     * reads these blocks, so each input is quantized right before the matmuls that read it.
     */
    private void quantizeFor(TaskGraph g, String name, FloatArray in, int n, DeviceMatrix... readers) {
        if (Arrays.stream(readers).anyMatch(this::readsInt8Input)) {
            g.task(quantized.quantize(name, in, batch * n, local));
        }
    }

    private boolean readsInt8Input(DeviceMatrix m) {
        return int8Input && m.format() == WeightFormat.Q8_0;
    }

    /**
     * {@code out[b] = m * in[b]} for every token of the batch, in the matrix's own format; a Q8_0
     * matrix over int8 blocks reads {@code in} as {@link #quantizeFor} left it.
     */
    private Task matMul(String name, DeviceMatrix m, FloatArray in, FloatArray out) {
        int rows = m.rows();
        int cols = m.cols();
        int tokensPerBatch = batch;
        if (gemv == DecodeOptions.GemvSplit.ITEM_PER_ROW) {
            WorkerGrid items = WorkerGrid.covering(rows, local, MAX_GROUPS);
            return switch (m.format()) {
                case F32 -> {
                    FloatArray w = (FloatArray) m.gemvData();
                    yield Task.of(name, () -> BatchMatMul.matMulF32RowPerItem(w, in, out, rows, cols, tokensPerBatch)).withGrid(items);
                }
                case F16 -> {
                    IntArray w = (IntArray) m.gemvData();
                    yield Task.of(name, () -> BatchMatMul.matMulF16PairsRowPerItem(w, in, out, rows, cols, tokensPerBatch)).withGrid(items);
                }
                case Q8_0 -> {
                    ByteArray w = (ByteArray) m.gemvData();
                    yield Task.of(name, () -> BatchMatMul.matMulQ8_0RowPerItem(w, in, out, rows, cols, tokensPerBatch)).withGrid(items);
                }
            };
        }
        KernelContext ctx = new KernelContext();
        WorkerGrid grid = WorkerGrid.of(BatchMatMul.fourRowGroups(rows, matMulLocal) * matMulLocal, matMulLocal);
        // fp32 and fp16 are specialised on the matrix shape as well as the batch (a kernel per
        // shape, three in a Llama layer): x's per-token offsets become constants
        return switch (m.format()) {
            case F32 -> {
                FloatArray w = (FloatArray) m.gemvArrays().getFirst();
                yield Task.of(name, () -> BatchMatMul.matMulF32FourRows(ctx, w, in, out, rows, cols, tokensPerBatch))
                        .withGrid(grid).specialising(4, 5, 6);
            }
            case F16 -> {
                IntArray w = (IntArray) m.gemvArrays().getFirst();
                yield Task.of(name, () -> BatchMatMul.matMulF16PairsFourRows(ctx, w, in, out, rows, cols, tokensPerBatch))
                        .withGrid(grid).specialising(4, 5, 6);
            }
            case Q8_0 -> {
                IntArray quants = (IntArray) m.gemvArrays().get(0);
                HalfArray scales = (HalfArray) m.gemvArrays().get(1);
                if (readsInt8Input(m)) {
                    IntArray xq = quantized.quants();
                    FloatArray xs = quantized.scales();
                    yield Task.of(name, () -> BatchMatMul.matMulQ8_0Int8InputFourRows(ctx, quants, scales, xq, xs, out, rows, cols, tokensPerBatch))
                            .withGrid(grid).specialising(8);
                }
                yield Task.of(name, () -> BatchMatMul.matMulQ8_0SplitWordsFourRows(ctx, quants, scales, in, out, rows, cols, tokensPerBatch))
                        .withGrid(grid).specialising(7); // the batch only: specialised on its shape too, it ran slower (BatchMatMul)
            }
        };
    }

    private Task copyRows(String name, DeviceMatrix table) {
        IntArray ids = tokens;
        IntArray s = span;
        FloatArray out = x;
        int dim = table.cols();
        int tokensPerBatch = batch;
        Task task = switch (table.format()) {
            case F32 -> {
                FloatArray data = (FloatArray) table.data();
                yield Task.of(name, () -> TokenBatch.copyRowsF32(data, ids, s, out, dim, tokensPerBatch));
            }
            case F16 -> {
                HalfArray data = (HalfArray) table.data();
                yield Task.of(name, () -> TokenBatch.copyRowsF16(data, ids, s, out, dim, tokensPerBatch));
            }
            case Q8_0 -> {
                ByteArray data = (ByteArray) table.data();
                yield Task.of(name, () -> TokenBatch.copyRowsQ8_0(data, ids, s, out, dim, tokensPerBatch));
            }
        };
        return task.withGrid(covering((long) batch * dim));
    }

    private Task rmsNorm(String name, FloatArray in, FloatArray weight, FloatArray out) {
        IntArray s = span;
        int n = config.dim();
        float eps = config.rmsEps();
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> TokenBatch.rmsNormEach(ctx, in, weight, out, s, n, eps))
                .withGrid(WorkerGrid.of(batch * vectorLocal, vectorLocal));
    }

    private void addBias(TaskGraph g, String name, FloatArray vec, FloatArray bias) {
        if (bias != null) {
            int n = (int) bias.getSize();
            int tokensPerBatch = batch;
            g.task(Task.of(name, () -> TokenBatch.addToEachToken(vec, bias, n, tokensPerBatch)).withGrid(covering(vec.getSize())));
        }
    }

    private Task rope(String name, FloatArray frequencies) {
        FloatArray queries = q;
        FloatArray keys = k;
        IntArray s = span;
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int headDim = config.headDim();
        int tokensPerBatch = batch;
        return Task.of(name, () -> TokenBatch.rotateQueriesAndKeysByFrequencies(queries, keys, s, frequencies, heads, kvHeads, headDim, tokensPerBatch))
                .withGrid(covering((long) batch * (heads + kvHeads) * headDim / 2));
    }

    private Task storeKeysValues(String name, FloatArray keys, FloatArray values) {
        FloatArray key = k;
        FloatArray value = v;
        IntArray s = span;
        int kvDim = config.kvDim();
        int tokensPerBatch = batch;
        return Task.of(name, () -> BatchAttention.storeKeysValues(key, value, keys, values, s, kvDim, tokensPerBatch))
                .withGrid(covering((long) batch * kvDim));
    }

    private Task attention(String name, FloatArray keys, FloatArray values) {
        FloatArray queries = q;
        FloatArray scratch = scores;
        FloatArray out = attOut;
        IntArray s = span;
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int headDim = config.headDim();
        int context = maxContext;
        if (attentionItemPerHead) { // one item per group: PoCL spreads the (token, head) pairs over its threads
            int tokensPerBatch = batch;
            return Task.of(name, () -> BatchAttention.attendCausalItemPerHead(queries, keys, values, scratch, out, s, heads, kvHeads, headDim,
                    context, tokensPerBatch)).withGrid(WorkerGrid.of(batch * heads, 1));
        }
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> BatchAttention.attendCausal(ctx, queries, keys, values, scratch, out, s, heads, kvHeads, headDim, context))
                .withGrid(WorkerGrid.of(batch * heads * local, local));
    }

    /** Residual add over the whole batch: unused token rows add finite leftovers to themselves, harmlessly. */
    private Task add(String name, FloatArray acc, FloatArray delta) {
        int n = (int) acc.getSize();
        return Task.of(name, () -> VectorOps.addInPlace(acc, delta, n)).withGrid(covering(n));
    }

    private Task siluGateTimesUp(String name) {
        FloatArray g = gate;
        FloatArray u = up;
        int n = (int) gate.getSize();
        return Task.of(name, () -> VectorOps.siluGateTimesUp(g, u, g, n)).withGrid(covering(n));
    }

    private Task siluGateTimesUpOfActiveExperts(String name) {
        FloatArray g = gate;
        FloatArray u = up;
        FloatArray logits = routerLogits;
        float minLogit = routing.minLogit();
        int hidden = config.hiddenDim();
        int expertSize = routing.expertSize();
        int tokensPerBatch = batch;
        return Task.of(name, () -> TokenBatch.siluGateTimesUpOfActiveExperts(g, u, logits, g, minLogit, hidden, expertSize, tokensPerBatch))
                .withGrid(covering(gate.getSize()));
    }

    private Task countActiveExpertsOfLastToken(String name, IntArray count) {
        FloatArray logits = routerLogits;
        IntArray s = span;
        float minLogit = routing.minLogit();
        int experts = config.hiddenDim() / routing.expertSize();
        return Task.of(name, () -> TokenBatch.countActiveExpertsOfLastToken(logits, s, count, minLogit, experts)).withGrid(WorkerGrid.of(1, 1));
    }

    private Task copyLastToken(String name) {
        FloatArray rows = x;
        IntArray s = span;
        FloatArray out = residual;
        int n = config.dim();
        return Task.of(name, () -> TokenBatch.copyLastToken(rows, s, out, n)).withGrid(covering(n));
    }

    private WorkerGrid covering(long n) {
        return WorkerGrid.covering(n, local, MAX_GROUPS);
    }

    private static NativeArray[] present(NativeArray... arrays) {
        return Arrays.stream(arrays).filter(Objects::nonNull).toArray(NativeArray[]::new);
    }

    /** Frees the batch's host arrays (device buffers belong to the plan). */
    @Override
    public void close() {
        for (NativeArray a : List.of(tokens, span, x, xb, q, k, v, attOut, proj, gate, up, scores, routerLogits)) {
            a.close();
        }
        quantized.close();
    }
}
