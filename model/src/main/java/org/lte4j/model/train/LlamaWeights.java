package org.lte4j.model.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The trainable tensors of a model, named with llama.cpp's GGUF tensor names
 * ({@code token_embd.weight}, {@code blk.N.attn_q.weight}, ...; LTE routers
 * {@code blk.N.ffn_router.weight}).
 */
public final class LlamaWeights {
    private final LlamaConfig config;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private LteSpec lte;

    private LlamaWeights(LlamaConfig config) {
        this.config = config;
    }

    /** Empty tensors of the right shapes (zeros; norms zero too). */
    public static LlamaWeights zeros(LlamaConfig c) {
        LlamaWeights w = new LlamaWeights(c);
        w.add("token_embd.weight", c.vocabSize(), c.dim(), true);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            w.add(p + "attn_norm.weight", 1, c.dim(), false);
            w.add(p + "attn_q.weight", c.dim(), c.dim(), true);
            w.add(p + "attn_k.weight", c.kvDim(), c.dim(), true);
            w.add(p + "attn_v.weight", c.kvDim(), c.dim(), true);
            w.add(p + "attn_output.weight", c.dim(), c.dim(), true);
            w.add(p + "ffn_norm.weight", 1, c.dim(), false);
            w.add(p + "ffn_gate.weight", c.ffnDim(), c.dim(), true);
            w.add(p + "ffn_up.weight", c.ffnDim(), c.dim(), true);
            w.add(p + "ffn_down.weight", c.dim(), c.ffnDim(), true);
        }
        w.add("output_norm.weight", 1, c.dim(), false);
        if (!c.tiedEmbeddings()) w.add("output.weight", c.vocabSize(), c.dim(), true);
        return w;
    }

    /**
     * GPT-2 style initialisation: N(0, 0.02), residual output projections scaled by
     * {@code 1/sqrt(2 * layers)}, norms at one. Deterministic for a seed.
     */
    public static LlamaWeights initialize(LlamaConfig c, long seed) {
        LlamaWeights w = zeros(c);
        SplittableRandom rnd = new SplittableRandom(seed);
        float residual = (float) (0.02 / Math.sqrt(2.0 * c.layers()));
        for (Parameter p : w.params.values()) {
            if (p.isVector()) {
                java.util.Arrays.fill(p.data(), 1f);
            } else {
                boolean out = p.name().endsWith("attn_output.weight") || p.name().endsWith("ffn_down.weight");
                fillNormal(p.data(), rnd, out ? residual : 0.02f);
            }
        }
        return w;
    }

    static void fillNormal(float[] a, SplittableRandom rnd, float std) {
        for (int i = 0; i < a.length; i++) a[i] = (float) (gaussian(rnd) * std);
    }

    static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Adds a router per layer ({@code [experts][dim]}, no bias), initialised N(0, 1/dim) so that
     * router logits start at unit scale: scores spread away from the threshold, where the
     * separability loss {@code 1/(G-0.5)^2} is finite and moderate.
     */
    public void addRouters(LteSpec spec, long seed) {
        int experts = spec.experts(config.ffnDim());
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int l = 0; l < config.layers(); l++) {
            Parameter r = params.get(routerName(l));
            if (r == null) r = add(routerName(l), experts, config.dim(), false);
            fillNormal(r.data(), rnd, (float) (1.0 / Math.sqrt(config.dim())));
        }
        this.lte = spec;
    }

    /** Declares the LTE layout of a model whose router tensors were loaded (or added) already. */
    public void setLte(LteSpec spec) {
        int experts = spec.experts(config.ffnDim());
        for (int l = 0; l < config.layers(); l++) {
            Parameter r = params.get(routerName(l));
            if (r == null) r = add(routerName(l), experts, config.dim(), false);
            if (r.rows() != experts) {
                throw new IllegalArgumentException(routerName(l) + " has " + r.rows() + " rows, expected " + experts);
            }
        }
        this.lte = spec;
    }

    public static String routerName(int layer) {
        return "blk." + layer + ".ffn_router.weight";
    }

    private Parameter add(String name, int rows, int cols, boolean decay) {
        Parameter p = new Parameter(name, rows, cols, decay);
        params.put(name, p);
        return p;
    }

    public LlamaConfig config() {
        return config;
    }

    /** The LTE layout, or null for a dense model. */
    public LteSpec lte() {
        return lte;
    }

    public Parameter get(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no tensor " + name);
        return p;
    }

    public boolean has(String name) {
        return params.containsKey(name);
    }

    public List<Parameter> all() {
        return Collections.unmodifiableList(new ArrayList<>(params.values()));
    }

    public Parameter layer(int l, String suffix) {
        return get("blk." + l + "." + suffix);
    }

    public Parameter outputWeight() {
        return config.tiedEmbeddings() ? get("token_embd.weight") : get("output.weight");
    }

    public void zeroGrad() {
        for (Parameter p : params.values()) p.zeroGrad();
    }

    /** A deep copy (data only; gradients are zero, frozen flags cleared). */
    public LlamaWeights copy() {
        LlamaWeights w = new LlamaWeights(config);
        for (Parameter p : params.values()) {
            Parameter q = w.add(p.name(), p.rows(), p.cols(), p.decay());
            System.arraycopy(p.data(), 0, q.data(), 0, p.data().length);
        }
        w.lte = lte;
        return w;
    }
}
