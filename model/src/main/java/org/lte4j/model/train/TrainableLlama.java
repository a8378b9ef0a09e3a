package org.lte4j.model.train;

import java.util.Arrays;

import org.lte4j.model.tensor.FloatVectors;

/**
 * A Llama decoder in fp32 with hand-written backward passes, optionally with LTE routers.
 *
 * <p>A batch is {@code batch} sequences of {@code seq} tokens, flattened to {@code n = batch *
 * seq} rows. Each layer computes {@code x += Wo attn(rope(Wq a), rope(Wk a), Wv a)} with
 * {@code a = rmsnorm(x)}, then {@code x += Wd (s * silu(Wg f) * (Wu f))} with {@code f =
 * rmsnorm(x)} and {@code s} the per-neuron gate of the {@link FfnMode} (1, G of the neuron's
 * expert, or 1[G > threshold]). The output is {@code Wout rmsnorm(x)} with {@code Wout} the
 * embedding when tied.
 *
 * <p>Not thread-safe: one instance trains one model; parallelism is inside each kernel.
 */
public final class TrainableLlama {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Parallel par;
    private final Rope rope;
    private FfnMode mode = FfnMode.DENSE;
    private NeuronMasker masker;

    private int n = -1, batch, seq;
    private Layer[] layers;
    private float[] x, xFinal, finalInv, logits, rowLoss;
    private float[] dx, dNorm, dAtt, dq, dk, dv, dh, dg, du, dRouter, dRouterReg;
    private int[] targetsCopy;

    /** Activations of one layer kept for the backward pass (and for calibration). */
    public static final class Layer {
        float[] xIn, attnInv, a, q, k, v, probs, att, xMid, ffnInv, f, g, u, h, sg, scale, gate;

        /** FFN input after RMSNorm, {@code [n][dim]}. */
        public float[] ffnInput() {
            return f;
        }

        /** Neuron activations silu(gate)*up before gating, {@code [n][ffnDim]}. */
        public float[] neuronActivations() {
            return h;
        }

        /** Gate projections before SiLU, {@code [n][ffnDim]}. */
        public float[] gatePreActivations() {
            return g;
        }

        /** Router scores G, {@code [n][experts]}, or null without routers. */
        public float[] routerScores() {
            return gate;
        }
    }

    public TrainableLlama(LlamaWeights weights, Parallel par) {
        this.c = weights.config();
        this.w = weights;
        this.par = par;
        this.rope = new Rope(c.headDim(), c.contextLength(), c.ropeTheta());
    }

    public LlamaConfig config() {
        return c;
    }

    public LlamaWeights weights() {
        return w;
    }

    public Parallel parallel() {
        return par;
    }

    public void setMode(FfnMode mode) {
        if (mode != FfnMode.DENSE && w.lte() == null) {
            throw new IllegalStateException("FFN mode " + mode + " needs LTE routers; this model is dense");
        }
        this.mode = mode;
    }

    public FfnMode mode() {
        return mode;
    }

    /** A mask that overrides the routers (evaluation baselines); null to clear. */
    public void setMasker(NeuronMasker masker) {
        this.masker = masker;
    }

    public Layer layer(int l) {
        return layers[l];
    }

    /** Logits of the last forward pass, {@code [n][vocab]} (overwritten by backward). */
    public float[] logits() {
        return logits;
    }

    private void allocate(int batch, int seq) {
        int rows = batch * seq;
        if (rows == n && batch == this.batch) return;
        this.n = rows;
        this.batch = batch;
        this.seq = seq;
        int d = c.dim(), kv = c.kvDim(), f = c.ffnDim();
        layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            Layer L = new Layer();
            L.xIn = new float[rows * d];
            L.attnInv = new float[rows];
            L.a = new float[rows * d];
            L.q = new float[rows * d];
            L.k = new float[rows * kv];
            L.v = new float[rows * kv];
            L.probs = new float[batch * c.heads() * seq * seq];
            L.att = new float[rows * d];
            L.xMid = new float[rows * d];
            L.ffnInv = new float[rows];
            L.f = new float[rows * d];
            L.g = new float[rows * f];
            L.u = new float[rows * f];
            L.h = new float[rows * f];
            layers[l] = L;
        }
        x = new float[rows * d];
        xFinal = new float[rows * d];
        finalInv = new float[rows];
        logits = new float[rows * c.vocabSize()];
        rowLoss = new float[rows];
        dx = new float[rows * d];
        dNorm = new float[rows * d];
        dAtt = new float[rows * d];
        dq = new float[rows * d];
        dk = new float[rows * kv];
        dv = new float[rows * kv];
        dh = new float[rows * f];
        dg = new float[rows * f];
        du = new float[rows * f];
    }

    /**
     * Forward pass over {@code batch} sequences of {@code seq} tokens and, when
     * {@code backward}, gradients added to every unfrozen parameter's grad.
     *
     * @param targets next-token targets per input position (negative: not scored)
     */
    public StepResult step(int[] inputs, int[] targets, int batch, int seq, LteLoss lteLoss, boolean backward) {
        if (inputs.length != batch * seq || targets.length != batch * seq) {
            throw new IllegalArgumentException("inputs/targets must hold batch*seq = " + batch * seq + " tokens");
        }
        if (seq > c.contextLength()) {
            throw new IllegalArgumentException("sequence length " + seq + " > context length " + c.contextLength());
        }
        for (int t : inputs) {
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token " + t + " outside vocabulary");
        }
        allocate(batch, seq);
        targetsCopy = targets;
        int d = c.dim(), V = c.vocabSize();
        float[] emb = w.get("token_embd.weight").data();
        for (int r = 0; r < n; r++) System.arraycopy(emb, inputs[r] * d, x, r * d, d);

        boolean routed = masker == null && mode != FfnMode.DENSE;
        int experts = routed ? w.lte().experts(c.ffnDim()) : 0;
        double[] reg = new double[3]; // eff sum, sep sum, skipped neurons
        for (int l = 0; l < c.layers(); l++) forwardLayer(l, routed, experts, lteLoss, reg);

        RmsNorm.forward(par, x, w.get("output_norm.weight").data(), xFinal, finalInv, n, d, c.normEps());
        Linear.forward(par, xFinal, w.outputWeight().data(), logits, n, d, V);
        int tokens = 0;
        for (int t : targets) if (t >= 0) tokens++;
        if (tokens == 0) throw new IllegalArgumentException("no targets to score");
        double task = CrossEntropy.forward(par, logits, targets, n, V, rowLoss) / tokens;
        double count = (double) c.layers() * experts * n;
        double eff = routed ? reg[0] / count : 0, sep = routed ? reg[1] / count : 0;
        double total = task;
        if (routed && mode == FfnMode.SOFT) total += lteLoss.eta() * eff + lteLoss.lambda() * sep;
        double sparsity = reg[2] / ((double) c.layers() * n * c.ffnDim());
        if (backward) backward(inputs, tokens, routed, experts, lteLoss);
        return new StepResult(task, eff, sep, total, tokens, sparsity);
    }

    private void forwardLayer(int l, boolean routed, int experts, LteLoss lteLoss, double[] reg) {
        Layer L = layers[l];
        int d = c.dim(), kv = c.kvDim(), F = c.ffnDim();
        System.arraycopy(x, 0, L.xIn, 0, n * d);
        RmsNorm.forward(par, x, w.layer(l, "attn_norm.weight").data(), L.a, L.attnInv, n, d, c.normEps());
        Linear.forward(par, L.a, w.layer(l, "attn_q.weight").data(), L.q, n, d, d);
        Linear.forward(par, L.a, w.layer(l, "attn_k.weight").data(), L.k, n, d, kv);
        Linear.forward(par, L.a, w.layer(l, "attn_v.weight").data(), L.v, n, d, kv);
        rope.apply(par, L.q, n, seq, c.heads(), false);
        rope.apply(par, L.k, n, seq, c.kvHeads(), false);
        CausalAttention.forward(par, L.q, L.k, L.v, L.att, L.probs, batch, seq, c.heads(), c.kvHeads(), c.headDim());
        Linear.forward(par, L.att, w.layer(l, "attn_output.weight").data(), dAtt, n, d, d);
        for (int i = 0; i < n * d; i++) x[i] += dAtt[i];
        System.arraycopy(x, 0, L.xMid, 0, n * d);

        RmsNorm.forward(par, x, w.layer(l, "ffn_norm.weight").data(), L.f, L.ffnInv, n, d, c.normEps());
        Linear.forward(par, L.f, w.layer(l, "ffn_gate.weight").data(), L.g, n, d, F);
        Linear.forward(par, L.f, w.layer(l, "ffn_up.weight").data(), L.u, n, d, F);
        SwiGlu.forward(par, L.g, L.u, L.h, n * F);
        float[] hs = L.h;
        if (masker != null) {
            if (L.sg == null || L.sg.length != n * F) L.sg = new float[n * F];
            if (L.scale == null || L.scale.length != n * F) L.scale = new float[n * F];
            for (int i = 0; i < n * F; i++) L.sg[i] = SwiGlu.silu(L.g[i]);
            masker.mask(l, L.f, L.sg, L.h, n, L.scale);
            hs = applyScale(L, reg);
        } else if (routed) {
            if (L.gate == null || L.gate.length != n * experts) L.gate = new float[n * experts];
            if (L.scale == null || L.scale.length != n * F) L.scale = new float[n * F];
            Linear.forward(par, L.f, w.get(LlamaWeights.routerName(l)).data(), L.gate, n, d, experts);
            float tau = (float) lteLoss.tau();
            float threshold = w.lte().threshold();
            int es = w.lte().expertSize();
            double effSum = 0, sepSum = 0;
            for (int r = 0; r < n; r++) {
                for (int e = 0; e < experts; e++) {
                    int gi = r * experts + e;
                    float gv = (float) (1.0 / (1.0 + Math.exp(-L.gate[gi])));
                    L.gate[gi] = gv;
                    effSum += (double) gv * gv;
                    sepSum += LteLoss.separation(gv, tau);
                    float s = mode == FfnMode.SOFT ? gv : (gv > threshold ? 1f : 0f);
                    Arrays.fill(L.scale, r * F + e * es, r * F + (e + 1) * es, s);
                    if (mode == FfnMode.SOFT && !(gv > threshold)) reg[2] += es;
                }
            }
            reg[0] += effSum;
            reg[1] += sepSum;
            hs = applyScale(L, mode == FfnMode.HARD ? reg : null);
        }
        Linear.forward(par, hs, w.layer(l, "ffn_down.weight").data(), dAtt, n, F, d);
        for (int i = 0; i < n * d; i++) x[i] += dAtt[i];
    }

    /** Returns s*h in the shared dh buffer; counts zero scales as skipped neurons. */
    private float[] applyScale(Layer L, double[] reg) {
        int count = n * c.ffnDim();
        long skipped = 0;
        for (int i = 0; i < count; i++) {
            dh[i] = L.h[i] * L.scale[i];
            if (L.scale[i] == 0f) skipped++;
        }
        if (reg != null) reg[2] += skipped;
        return dh;
    }

    private void backward(int[] inputs, int tokens, boolean routed, int experts, LteLoss lteLoss) {
        int d = c.dim(), kv = c.kvDim(), F = c.ffnDim(), V = c.vocabSize();
        CrossEntropy.backwardInPlace(par, logits, targetsCopy, n, V, 1f / tokens);
        Parameter out = w.outputWeight();
        if (!out.frozen()) Linear.backwardWeight(par, logits, xFinal, out.grad(), n, d, V);
        Linear.backwardInput(par, logits, out.data(), dNorm, n, d, V, false);
        Arrays.fill(dx, 0f);
        Parameter on = w.get("output_norm.weight");
        RmsNorm.backward(par, x, on.data(), finalInv, dNorm, dx, on.frozen() ? null : on.grad(), n, d);

        boolean soft = routed && mode == FfnMode.SOFT;
        double count = (double) c.layers() * experts * n;
        for (int l = c.layers() - 1; l >= 0; l--) {
            Layer L = layers[l];
            // FFN: x_out = xMid + Wd (s*h)
            float[] hs = L.h;
            if (L.scale != null && (routed || masker != null)) {
                hs = dg; // reuse as scratch for s*h
                for (int i = 0; i < n * F; i++) hs[i] = L.h[i] * L.scale[i];
            }
            Parameter down = w.layer(l, "ffn_down.weight");
            if (!down.frozen()) Linear.backwardWeight(par, dx, hs, down.grad(), n, F, d);
            Linear.backwardInput(par, dx, down.data(), dh, n, F, d, false); // dh = d(s*h)
            Arrays.fill(dNorm, 0f);
            if (soft) {
                if (dRouter == null || dRouter.length != n * experts) {
                    dRouter = new float[n * experts];
                    dRouterReg = new float[n * experts];
                }
                int es = w.lte().expertSize();
                double tau = lteLoss.tau();
                for (int r = 0; r < n; r++) {
                    for (int e = 0; e < experts; e++) {
                        int gi = r * experts + e;
                        float s = 0f;
                        int o = r * F + e * es;
                        for (int j = 0; j < es; j++) s += dh[o + j] * L.h[o + j];
                        double gv = L.gate[gi];
                        double sig = gv * (1 - gv);
                        double reg = (lteLoss.eta() * 2 * gv + lteLoss.lambda() * LteLoss.separationSlope(gv, tau)) / count;
                        dRouter[gi] = (float) (s * sig);
                        dRouterReg[gi] = (float) ((s + reg) * sig);
                    }
                }
                // The task gradient flows through the router into the rest of the model; the
                // regularisers (L_eff, L_sep) train the router weights only, so that their large
                // gradients near the threshold do not reshape the residual stream.
                Parameter router = w.get(LlamaWeights.routerName(l));
                if (!router.frozen()) Linear.backwardWeight(par, dRouterReg, L.f, router.grad(), n, d, experts);
                Linear.backwardInput(par, dRouter, router.data(), dNorm, n, d, experts, true);
            }
            if (L.scale != null && (routed || masker != null)) {
                for (int i = 0; i < n * F; i++) dh[i] *= L.scale[i];
            }
            SwiGlu.backward(par, L.g, L.u, dh, dg, du, n * F);
            Parameter gate = w.layer(l, "ffn_gate.weight"), up = w.layer(l, "ffn_up.weight");
            if (!gate.frozen()) Linear.backwardWeight(par, dg, L.f, gate.grad(), n, d, F);
            if (!up.frozen()) Linear.backwardWeight(par, du, L.f, up.grad(), n, d, F);
            Linear.backwardInput(par, dg, gate.data(), dNorm, n, d, F, true);
            Linear.backwardInput(par, du, up.data(), dNorm, n, d, F, true);
            Parameter fn = w.layer(l, "ffn_norm.weight");
            RmsNorm.backward(par, L.xMid, fn.data(), L.ffnInv, dNorm, dx, fn.frozen() ? null : fn.grad(), n, d);

            // attention: xMid = xIn + Wo attn
            Parameter wo = w.layer(l, "attn_output.weight");
            if (!wo.frozen()) Linear.backwardWeight(par, dx, L.att, wo.grad(), n, d, d);
            Linear.backwardInput(par, dx, wo.data(), dAtt, n, d, d, false);
            CausalAttention.backward(par, L.q, L.k, L.v, L.probs, dAtt, dq, dk, dv, batch, seq, c.heads(),
                    c.kvHeads(), c.headDim());
            rope.apply(par, dq, n, seq, c.heads(), true);
            rope.apply(par, dk, n, seq, c.kvHeads(), true);
            // the attention used rotated q/k; weight gradients need the pre-rotation inputs' grads
            Parameter wq = w.layer(l, "attn_q.weight"), wk = w.layer(l, "attn_k.weight"), wv = w.layer(l, "attn_v.weight");
            if (!wq.frozen()) Linear.backwardWeight(par, dq, L.a, wq.grad(), n, d, d);
            if (!wk.frozen()) Linear.backwardWeight(par, dk, L.a, wk.grad(), n, d, kv);
            if (!wv.frozen()) Linear.backwardWeight(par, dv, L.a, wv.grad(), n, d, kv);
            Linear.backwardInput(par, dq, wq.data(), dNorm, n, d, d, false);
            Linear.backwardInput(par, dk, wk.data(), dNorm, n, d, kv, true);
            Linear.backwardInput(par, dv, wv.data(), dNorm, n, d, kv, true);
            Parameter an = w.layer(l, "attn_norm.weight");
            RmsNorm.backward(par, L.xIn, an.data(), L.attnInv, dNorm, dx, an.frozen() ? null : an.grad(), n, d);
        }
        Parameter emb = w.get("token_embd.weight");
        if (!emb.frozen()) {
            float[] g = emb.grad();
            for (int r = 0; r < n; r++) FloatVectors.axpy(1f, dx, r * d, g, inputs[r] * d, d);
        }
    }
}
