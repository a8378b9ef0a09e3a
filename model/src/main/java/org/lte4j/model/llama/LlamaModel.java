package org.lte4j.model.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.lte4j.model.hf.HfModelLoader;
import org.lte4j.model.tensor.FloatVectors;
import org.lte4j.model.tensor.ParallelRows;
import org.lte4j.model.tensor.Tensor;

/**
 * A Llama-family decoder running on the JVM, written to be read top to bottom:
 * embedding -> for each layer { RMSNorm, attention with RoPE and a KV cache (GQA/MQA), residual,
 * RMSNorm, SwiGLU FFN, residual } -> RMSNorm -> logits.
 *
 * <p>The FFN is its own overridable method, {@link #ffn}, so that a sparse (LTE) version can
 * replace it. Matrix-vector products run on the weights' own storage types with the Vector API,
 * parallel over rows ({@link org.lte4j.model.tensor.Tensor#matVec}).
 */
public class LlamaModel implements AutoCloseable {
    /** Attention over fewer multiply-adds than this stays on the calling thread. */
    private static final long PARALLEL_ATTENTION_THRESHOLD = 1 << 15;
    /**
     * Prompt tokens that {@link #prefill} runs through each weight matrix together: each matrix
     * is read from memory once per batch instead of once per token.
     */
    public static final int PREFILL_BATCH = 16;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final ModelSource source;
    /**
     * Whether {@link #ffnBatch} computes what {@link #ffn} does: true unless a subclass replaces
     * {@link #ffn} without replacing {@link #ffnBatch} too (an FFN variant that has only the
     * per-token form), whose prompts {@link #prefill} then runs token by token.
     */
    private final boolean batchesPrompts;

    public LlamaModel(LlamaConfig config, LlamaWeights weights, ModelSource source) {
        this.config = config;
        this.weights = weights;
        this.source = source;
        this.batchesPrompts = declaringClass("ffn", int.class, float[].class)
                == declaringClass("ffnBatch", int.class, float[].class, int.class, float[].class, float[].class, float[].class);
    }

    /** The class of this model's hierarchy that declares the method {@code name(params)} this model runs. */
    private Class<?> declaringClass(String name, Class<?>... params) {
        for (Class<?> c = getClass(); c != null; c = c.getSuperclass()) {
            try {
                c.getDeclaredMethod(name, params);
                return c;
            } catch (NoSuchMethodException e) {
                // declared further up
            }
        }
        throw new AssertionError("LlamaModel declares " + name);
    }

    /** Subclasses (sparse FFN variants) share the loaded weights of {@code base}. */
    protected LlamaModel(LlamaModel base) {
        this(base.config, base.weights, base.source);
    }

    /**
     * Loads a GGUF file, or a Hugging Face folder (config.json + model.safetensors or a sharded
     * index). Malformed input throws {@link org.lte4j.model.tensor.ModelFormatException}.
     */
    public static LlamaModel load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return HfModelLoader.load(path);
        }
        return GgufModelLoader.load(path);
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    /** Where the model came from, and its metadata (for the tokenizer). */
    public ModelSource source() {
        return source;
    }

    /** The GGUF metadata, or the parsed config.json of a Hugging Face folder. */
    public Map<String, Object> metadata() {
        return source.metadata();
    }

    /** A fresh sequence with room for {@code maxContext} tokens (capped at the model's context length). */
    public LlamaState newState(int maxContext) {
        return new LlamaState(config, Math.max(1, Math.min(maxContext, config.contextLength())));
    }

    /**
     * Runs {@code token} at the state's next position and returns the logits (the state's own
     * buffer: copy it to keep it past the next call).
     */
    public float[] forward(LlamaState s, int token) {
        forwardHidden(s, token);
        logits(s);
        return s.logits;
    }

    /**
     * Runs a prompt through, returning the logits after its last token (the state's own buffer,
     * as {@link #forward}). The prompt runs in batches of up to {@link #PREFILL_BATCH} tokens,
     * each layer's matrices multiplying the whole batch at once ({@link Tensor#matMul}); every
     * token gets the same float operations as in {@link #forward}, up to the order of the FFN's
     * sums where a subclass's {@link #ffnBatch} orders them otherwise. A subclass that replaces
     * {@link #ffn} alone runs the prompt token by token.
     */
    public float[] prefill(LlamaState s, int[] tokens) {
        return prefill(s, tokens, batchesPrompts ? PREFILL_BATCH : 1);
    }

    /** {@link #prefill} in batches of up to {@code batch} tokens (1: token by token, as forward runs). */
    public float[] prefill(LlamaState s, int[] tokens, int batch) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("prefill batch of " + batch + " tokens");
        }
        if (batch == 1 || !batchesPrompts) {
            for (int i = 0; i < tokens.length - 1; i++) {
                forwardHidden(s, tokens[i]); // logits of inner prompt positions are not needed
            }
            return forward(s, tokens[tokens.length - 1]);
        }
        for (int token : tokens) {
            checkToken(token);
        }
        if (s.length + tokens.length > s.maxContext) {
            throw new IllegalStateException("context full: a prompt of " + tokens.length + " tokens after "
                    + s.length + " does not fit " + s.maxContext);
        }
        PrefillBatch b = new PrefillBatch(config, Math.min(batch, tokens.length));
        for (int start = 0; start < tokens.length; start += batch) {
            forwardBatch(s, b, tokens, start, Math.min(batch, tokens.length - start));
        }
        int last = (tokens.length - 1) % batch; // the last token's row in the final batch
        System.arraycopy(b.x, last * config.dim(), s.x, 0, config.dim());
        logits(s);
        return s.logits;
    }

    /**
     * Tokens {@code tokens[start .. start + count)} through every layer at positions
     * {@code s.length ..}, as {@link #forwardHidden} runs each, with the matrix products over the
     * whole batch; the final residual streams are left in {@code b.x}.
     */
    private void forwardBatch(LlamaState s, PrefillBatch b, int[] tokens, int start, int count) {
        LlamaConfig c = config;
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim();
        int pos0 = s.length;
        for (int t = 0; t < count; t++) {
            weights.tokenEmbedding().rowTo(tokens[start + t], b.x, t * dim);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            // attention block
            for (int t = 0; t < count; t++) {
                rmsNorm(b.xb, t * dim, b.x, t * dim, dim, w.attnNorm(), c.rmsEps());
            }
            w.wq().matMul(b.xb, count, b.q);
            w.wk().matMul(b.xb, count, b.k);
            w.wv().matMul(b.xb, count, b.v);
            for (int t = 0; t < count; t++) {
                int pos = pos0 + t;
                addBias(b.q, t * qDim, w.bq());
                addBias(b.k, t * kvDim, w.bk());
                addBias(b.v, t * kvDim, w.bv());
                ropeAngles(s, pos);
                rope(b.q, t * qDim, c.nHeads(), s);
                rope(b.k, t * kvDim, c.nKvHeads(), s);
                System.arraycopy(b.k, t * kvDim, s.keyCache[l], pos * kvDim, kvDim);
                System.arraycopy(b.v, t * kvDim, s.valueCache[l], pos * kvDim, kvDim);
            }
            attentionBatch(s, b, l, pos0, count);
            w.wo().matMul(b.attOut, count, b.proj);
            add(b.x, 0, b.proj, 0, count * dim);
            // feed-forward block
            for (int t = 0; t < count; t++) {
                rmsNorm(b.xb, t * dim, b.x, t * dim, dim, w.ffnNorm(), c.rmsEps());
            }
            ffnBatch(l, b.xb, count, b.gate, b.up, b.ffnOut);
            add(b.x, 0, b.ffnOut, 0, count * dim);
        }
        s.length = pos0 + count;
    }

    /**
     * {@link #ffn} of layer {@code layer} for {@code count} normed inputs ({@code xb}, token-major)
     * into {@code out}, with {@code gate} and {@code up} ({@code count * hiddenDim} floats) as
     * scratch: the dense SwiGLU FFN, each matrix multiplying the whole batch. Called for layers in
     * order, every layer once per batch. A subclass that replaces {@link #ffn} replaces this
     * too, or its prompts run token by token.
     */
    protected void ffnBatch(int layer, float[] xb, int count, float[] gate, float[] up, float[] out) {
        LayerWeights w = weights.layers().get(layer);
        w.wGate().matMul(xb, count, gate);
        w.wUp().matMul(xb, count, up);
        FloatVectors.siluTimes(gate, 0, up, 0, count * config.hiddenDim());
        w.wDown().matMul(gate, count, out);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary of " + config.vocabSize());
        }
    }

    /** One token through every layer, leaving the final residual stream in {@code s.x}. */
    protected void forwardHidden(LlamaState s, int token) {
        LlamaConfig c = config;
        checkToken(token);
        int pos = s.length;
        if (pos >= s.maxContext) {
            throw new IllegalStateException("context full: " + s.maxContext + " tokens");
        }
        weights.tokenEmbedding().rowTo(token, s.x, 0);
        ropeAngles(s, pos);
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            // attention block
            rmsNorm(s.xb, s.x, w.attnNorm(), c.rmsEps());
            w.wq().matVec(s.xb, s.q);
            w.wk().matVec(s.xb, s.k);
            w.wv().matVec(s.xb, s.v);
            addBias(s.q, w.bq());
            addBias(s.k, w.bk());
            addBias(s.v, w.bv());
            rope(s.q, 0, c.nHeads(), s);
            rope(s.k, 0, c.nKvHeads(), s);
            System.arraycopy(s.k, 0, s.keyCache[l], pos * c.kvDim(), c.kvDim());
            System.arraycopy(s.v, 0, s.valueCache[l], pos * c.kvDim(), c.kvDim());
            attention(s, l, pos, s.q, 0, s.attOut, 0);
            w.wo().matVec(s.attOut, s.proj);
            add(s.x, s.proj);
            // feed-forward block
            rmsNorm(s.xb, s.x, w.ffnNorm(), c.rmsEps());
            float[] f = ffn(l, s.xb);
            add(s.x, f);
        }
        s.length = pos + 1;
    }

    /** Final norm and the output projection into {@code s.logits}. */
    private void logits(LlamaState s) {
        rmsNorm(s.xb, s.x, weights.outputNorm(), config.rmsEps());
        weights.output().matVec(s.xb, s.logits);
    }

    /**
     * The dense SwiGLU feed-forward network of layer {@code layer}:
     * {@code down(silu(gate(x)) * up(x))}. Returns a new array of length dim.
     * Override to replace it (the LTE sparse experts do).
     */
    public float[] ffn(int layer, float[] x) {
        LayerWeights w = weights.layers().get(layer);
        int hidden = config.hiddenDim();
        float[] gate = new float[hidden];
        float[] up = new float[hidden];
        w.wGate().matVec(x, gate);
        w.wUp().matVec(x, up);
        FloatVectors.siluTimes(gate, 0, up, 0, hidden);
        float[] out = new float[config.dim()];
        w.wDown().matVec(gate, out);
        return out;
    }

    /**
     * Causal attention of every query head over the cached positions 0..pos, each query head
     * reading the kv head of its group (GQA; MQA when there is one kv head): the query
     * {@code q[qOffset ..]} into {@code out[outOffset ..]}.
     */
    private void attention(LlamaState s, int layer, int pos, float[] q, int qOffset, float[] out, int outOffset) {
        forEachHead(config.nHeads(), pos + 1, out, outOffset,
                (h, dst, dstOffset) -> attendHead(s, layer, pos, h, q, qOffset, dst, dstOffset));
    }

    /**
     * {@link #attention} for the {@code count} tokens of a prefill batch (token t at position
     * {@code pos0 + t}, its query at {@code b.q[t * qDim ..]}), all (token, head) pairs in one
     * parallel pass; every head's arithmetic is {@link #attendHead}'s, as in forward.
     */
    private void attentionBatch(LlamaState s, PrefillBatch b, int layer, int pos0, int count) {
        int heads = config.nHeads(), qDim = config.qDim();
        // pair p = t * heads + h writes from p * headDim on, which is t * qDim + h * headDim
        forEachHead(count * heads, pos0 + count, b.attOut, 0, (p, dst, dstOffset) -> {
            int t = p / heads, h = p % heads;
            attendHead(s, layer, pos0 + t, h, b.q, t * qDim, dst, dstOffset + t * qDim);
        });
    }

    /** Attention head {@code p} of a pass, its output from {@code dst[dstOffset + p * headDim]} on. */
    @FunctionalInterface
    private interface Head {
        void attend(int p, float[] dst, int dstOffset);
    }

    /**
     * Runs {@code heads} heads of up to {@code positions} positions each into {@code out}: on
     * the threads of the weight products ({@link ParallelRows}, a head per chunk) once they read
     * enough, else on the calling thread. Those threads are already spinning between products; a
     * parallel stream woke a fork-join worker that then competed with them for the 2 cores of the
     * development machine (llama-110m Q8_0 at 60 positions: 0.60-0.66 against 0.52 ms a token
     * outside the products, with the heads on one thread).
     */
    private void forEachHead(int heads, int positions, float[] out, int outOffset, Head head) {
        int hd = config.headDim();
        // below the threshold all heads are one chunk, which ParallelRows runs on the calling thread
        int headsPerChunk = (long) heads * positions * hd < PARALLEL_ATTENTION_THRESHOLD ? heads : 1;
        ParallelRows.forEach(heads * hd, headsPerChunk * hd, 1, out, outOffset, (from, to, dst, dstOffset) -> {
            for (int p = from / hd; p < to / hd; p++) {
                head.attend(p, dst, dstOffset);
            }
        });
    }

    /**
     * Each thread's attention scores. Not one row per head in the state: {@link ParallelRows}
     * computes a head itself when the helper that took it is descheduled, and both would then
     * write the same row (a prompt batch of 37 tokens came out 0.35% off on a loaded machine).
     */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /** One query head of {@link #attention}, with its scores in this thread's {@link #SCORES}. */
    private void attendHead(LlamaState s, int layer, int pos, int h, float[] q, int qOffset, float[] out, int outOffset) {
        float[] scores = SCORES.get();
        if (scores.length <= pos) {
            scores = new float[Math.max(pos + 1, Math.min(s.maxContext, 2 * scores.length))];
            SCORES.set(scores);
        }
        LlamaConfig c = config;
        int hd = c.headDim();
        int kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = s.keyCache[layer];
        float[] values = s.valueCache[layer];
        int qo = qOffset + h * hd;
        int oo = outOffset + h * hd;
        int kvo = (h / c.groupSize()) * hd;
        // vector lanes: a scalar sum here was one chain of 64 dependent adds per position, about
        // 8% of a 110M F32 token's samples on 2 cores at 100 positions (JFR); four positions at a
        // time keep four chains in flight (the same floats: 1.8 against 2.4 ms of dot products per
        // token at 1000 positions, one thread)
        int t4 = 0;
        for (; t4 + 3 <= pos; t4 += 4) {
            FloatVectors.dotFour(q, qo, keys, t4 * kvDim + kvo, kvDim, hd, scores, t4);
        }
        for (int t = t4; t <= pos; t++) {
            scores[t] = FloatVectors.dot(q, qo, keys, t * kvDim + kvo, hd);
        }
        float inv = 1 / FloatVectors.expOfScaledMinusMax(scores, 0, pos + 1, scale);
        for (int i = 0; i < hd; i++) {
            out[oo + i] = 0;
        }
        for (int t = 0; t <= pos; t += 4) {
            if (t + 3 <= pos) { // the same adds as one position at a time, out loaded and stored once
                FloatVectors.axpyFour(scores[t] * inv, scores[t + 1] * inv, scores[t + 2] * inv, scores[t + 3] * inv,
                        values, t * kvDim + kvo, kvDim, out, oo, hd);
            } else {
                for (int u = t; u <= pos; u++) {
                    FloatVectors.axpy(scores[u] * inv, values, u * kvDim + kvo, out, oo, hd);
                }
            }
        }
    }

    /** cos/sin of {@code pos * invFreq[i]} for every pair, computed once per token. */
    private void ropeAngles(LlamaState s, int pos) {
        float[] inv = weights.ropeInvFreq();
        for (int i = 0; i < inv.length; i++) {
            float angle = pos * inv[i]; // float product, as PyTorch forms it
            s.cos[i] = (float) Math.cos(angle);
            s.sin[i] = (float) Math.sin(angle);
        }
    }

    /**
     * Rotates each pair (2i, 2i+1) of every head of {@code vec[offset ..]} by the position's
     * angle for pair i.
     */
    private void rope(float[] vec, int offset, int heads, LlamaState s) {
        int hd = config.headDim();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                int a = offset + h * hd + 2 * i;
                float x0 = vec[a], x1 = vec[a + 1];
                vec[a] = x0 * s.cos[i] - x1 * s.sin[i];
                vec[a + 1] = x1 * s.cos[i] + x0 * s.sin[i];
            }
        }
    }

    /** out = x / sqrt(mean(x^2) + eps) * weight. */
    static void rmsNorm(float[] out, float[] x, float[] weight, float eps) {
        rmsNorm(out, 0, x, 0, x.length, weight, eps);
    }

    /** {@link #rmsNorm(float[], float[], float[], float)} of {@code x[xOffset .. xOffset + n)}. */
    static void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, int n, float[] weight, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            ss += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = weight[i] * (x[xOffset + i] * inv);
        }
    }

    private static void addBias(float[] x, float[] bias) {
        addBias(x, 0, bias);
    }

    private static void addBias(float[] x, int offset, float[] bias) {
        if (bias != null) {
            add(x, offset, bias, 0, bias.length);
        }
    }

    private static void add(float[] x, float[] y) {
        add(x, 0, y, 0, x.length);
    }

    private static void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        for (int i = 0; i < n; i++) {
            x[xOffset + i] += y[yOffset + i];
        }
    }

    /** Releases the mapped files and any converted weights. */
    @Override
    public void close() {
        source.close();
    }

    @Override
    public String toString() {
        return "LlamaModel[" + config + " from " + source.path() + "]";
    }

    /** Layers as a list, for callers that walk them. */
    public List<LayerWeights> layers() {
        return weights.layers();
    }
}
