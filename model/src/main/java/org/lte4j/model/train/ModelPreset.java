package org.lte4j.model.train;

import java.util.Locale;

/** Named model shapes for pretraining (vocabulary size comes from the tokenizer). */
public enum ModelPreset {
    /** For tests: trains in seconds. */
    TINY(32, 2, 4, 2, 64, 32),
    /** About 1 M parameters with a byte vocabulary: 16 experts of 32 per layer. */
    SHAKESPEARE_1M(128, 4, 4, 2, 512, 128),
    /** About 2 M parameters with a byte vocabulary: 24 experts of 32 per layer. */
    SHAKESPEARE_2M(192, 4, 6, 2, 768, 128);

    private final int dim, layers, heads, kvHeads, ffnDim, context;

    ModelPreset(int dim, int layers, int heads, int kvHeads, int ffnDim, int context) {
        this.dim = dim;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.ffnDim = ffnDim;
        this.context = context;
    }

    public LlamaConfig config(int vocabSize) {
        return new LlamaConfig(vocabSize, dim, layers, heads, kvHeads, ffnDim, context, 10000f, 1e-5f, true);
    }

    /** The CLI name, e.g. {@code shakespeare-2m}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static ModelPreset parse(String name) {
        for (ModelPreset p : values()) {
            if (p.cliName().equalsIgnoreCase(name) || p.name().equalsIgnoreCase(name)) return p;
        }
        StringBuilder known = new StringBuilder();
        for (ModelPreset p : values()) known.append(known.isEmpty() ? "" : ", ").append(p.cliName());
        throw new IllegalArgumentException("unknown model preset '" + name + "' (known: " + known + ")");
    }
}
