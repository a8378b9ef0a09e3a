package org.lte4j.bench.decode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaWeights;
import org.lte4j.model.llama.ModelSource;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Quantizer;
import org.lte4j.model.tensor.Tensor;

/**
 * A {@link LlamaModel} of a preset's shape with seeded random weights made directly in memory
 * (no file): each matrix uniform in {@code +-sqrt(3 / cols)}, so a row's product with a
 * unit-variance input has unit variance and activations stay finite through every layer; norm
 * weights are 1. Rows are generated in parallel chunks, each from its own seeded stream, so the
 * weights depend on the seed only, not on the thread count.
 */
public final class SyntheticModel {
    private static final int ROWS_PER_CHUNK = 64;

    private SyntheticModel() {
    }

    /** Host memory the weights take in {@code type}. */
    public static long bytes(SyntheticPreset preset, GgmlType type) {
        return type.bytesFor(preset.parameters() - (long) preset.config.dim() * (2L * preset.config.nLayers() + 1))
                + 4L * preset.config.dim() * (2L * preset.config.nLayers() + 1);
    }

    /** Matrices in {@code type} (F32, F16, BF16, Q8_0 or Q4_0); norms in fp32 as in every Llama file. */
    public static LlamaModel create(SyntheticPreset preset, GgmlType type, long seed) {
        return create(preset.config, preset.cliName, type, seed);
    }

    /** {@link #create(SyntheticPreset, GgmlType, long)} of any shape, named {@code name}. */
    static LlamaModel create(LlamaConfig c, String name, GgmlType type, long seed) {
        ModelSource source = new ModelSource(Path.of("synthetic", name + "-" + type.name().toLowerCase() + ".seed" + seed),
                ModelSource.Format.GGUF, Map.of("general.name", "synthetic " + name));
        Arena arena = source.arena();
        long[] stream = {seed * 0x9E3779B97F4A7C15L};
        Tensor embedding = matrix("token_embd.weight", type, c.vocabSize(), c.dim(), ++stream[0], arena);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            layers.add(new LayerWeights(ones(c.dim()),
                    matrix(p + "attn_q.weight", type, c.qDim(), c.dim(), ++stream[0], arena),
                    matrix(p + "attn_k.weight", type, c.kvDim(), c.dim(), ++stream[0], arena),
                    matrix(p + "attn_v.weight", type, c.kvDim(), c.dim(), ++stream[0], arena),
                    matrix(p + "attn_output.weight", type, c.dim(), c.qDim(), ++stream[0], arena),
                    null, null, null,
                    ones(c.dim()),
                    matrix(p + "ffn_gate.weight", type, c.hiddenDim(), c.dim(), ++stream[0], arena),
                    matrix(p + "ffn_up.weight", type, c.hiddenDim(), c.dim(), ++stream[0], arena),
                    matrix(p + "ffn_down.weight", type, c.dim(), c.hiddenDim(), ++stream[0], arena)));
        }
        Tensor output = c.tiedEmbeddings() ? embedding : matrix("output.weight", type, c.vocabSize(), c.dim(), ++stream[0], arena);
        LlamaWeights weights = new LlamaWeights(embedding, List.copyOf(layers), ones(c.dim()), output, c.ropeInverseFrequencies());
        return new LlamaModel(c, weights, source);
    }

    private static Tensor matrix(String name, GgmlType type, int rows, int cols, long seed, Arena arena) {
        long rowBytes = type.bytesFor(cols);
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        float bound = (float) Math.sqrt(3.0 / cols);
        int chunks = (rows + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + chunk);
            int from = chunk * ROWS_PER_CHUNK;
            int count = Math.min(ROWS_PER_CHUNK, rows - from);
            float[] values = new float[count * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
            Quantizer.encode(type, values, 0, values.length, data, from * rowBytes);
        });
        return Tensor.of(name, type, new long[] {rows, cols}, data);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }
}
