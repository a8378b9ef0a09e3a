package org.lte4j.bench.decode;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.RopeScaling;

/**
 * Model shapes for benchmarks with random weights: the published hyper-parameters of well-known
 * Llama models, so bytes per token and kernel shapes are those of the real thing.
 */
public enum SyntheticPreset {
    /** A few hundred KiB: for tests and smoke runs. */
    TINY("tiny", new LlamaConfig("llama", 64, 192, 2, 4, 2, 16, 256, 512, 1e-5f, 10000, null, false, false)),
    /** llama2.c's stories110M (dim 768, 12 layers, 12 heads, vocab 32000). */
    LLAMA_110M("llama-110m", new LlamaConfig("llama", 768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5f, 10000, null, false, false)),
    /** Llama 3.2 1B (dim 2048, 16 layers, GQA 32/8, vocab 128256, tied, Llama-3 RoPE scaling). */
    LLAMA3_1B("llama3-1b", new LlamaConfig("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000,
            new RopeScaling(32, 1, 4, 8192), true, false)),
    /** Llama 2 7B (dim 4096, 32 layers, 32 heads, FFN 11008, vocab 32000): 13.5 GB in fp16. */
    LLAMA2_7B("llama2-7b", new LlamaConfig("llama", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 1e-5f, 10000, null, false, false));

    public final String cliName;
    public final LlamaConfig config;

    SyntheticPreset(String cliName, LlamaConfig config) {
        this.cliName = cliName;
        this.config = config;
    }

    public static SyntheticPreset byName(String name) {
        for (SyntheticPreset p : values()) {
            if (p.cliName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown synthetic preset '" + name + "': use one of " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(p -> p.cliName).collect(Collectors.joining(", "));
    }

    /** Elements in all weights (matrices, norms). */
    public long parameters() {
        LlamaConfig c = config;
        long perLayer = (long) c.dim() * (c.qDim() + 2L * c.kvDim()) + (long) c.qDim() * c.dim()
                + 3L * c.dim() * c.hiddenDim() + 2L * c.dim();
        long embeddings = (long) c.vocabSize() * c.dim() * (c.tiedEmbeddings() ? 1 : 2);
        return c.nLayers() * perLayer + embeddings + c.dim();
    }
}
