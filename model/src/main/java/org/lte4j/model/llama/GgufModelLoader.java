package org.lte4j.model.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

/**
 * Builds a {@link LlamaModel} from a GGUF file written by llama.cpp's converters (or
 * {@link org.lte4j.model.hf.HfToGguf}): architectures {@code llama} (also Mistral), {@code mistral}
 * and {@code qwen2}. Weights stay in the mapping; only Qwen2's q/k rows (which llama.cpp leaves in
 * rotate-half order) are permuted into copies.
 */
public final class GgufModelLoader {
    private GgufModelLoader() {
    }

    public static LlamaModel load(Path path) throws IOException {
        GgufFile g = GgufFile.open(path);
        ModelSource source = new ModelSource(path, ModelSource.Format.GGUF, g.metadata());
        source.own(g);
        try {
            return build(g, source);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    static LlamaModel build(GgufFile g, ModelSource source) {
        String arch = g.getString("general.architecture");
        boolean halvesLayout = switch (arch) {
            case "llama", "mistral" -> false;
            case "qwen2" -> true; // llama.cpp runs Qwen2 with NEOX (rotate-half) RoPE and does not permute
            default -> throw new ModelFormatException(g.path(), "general.architecture", -1,
                    "unsupported architecture '" + arch + "' (supported: llama, mistral, qwen2)");
        };
        String p = arch + ".";
        LlamaConfig c;
        try {
            c = config(g, arch, p);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(g.path(), p + "*", -1, "inconsistent model configuration: " + e.getMessage(), e);
        }
        int dim = c.dim();
        Tensor embedding = g.tensor("token_embd.weight");
        int vocab = c.vocabSize();
        boolean tied = c.tiedEmbeddings();
        boolean bias = c.qkvBias();
        Checker check = new Checker(g);
        check.shape(embedding, vocab, dim);
        int[] qOrder = halvesLayout ? RopeLayout.halvesToInterleaved(c.nHeads(), c.headDim()) : null;
        int[] kOrder = halvesLayout ? RopeLayout.halvesToInterleaved(c.nKvHeads(), c.headDim()) : null;
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String b = "blk." + l + ".";
            Tensor wq = check.shape(g.tensor(b + "attn_q.weight"), c.qDim(), dim);
            Tensor wk = check.shape(g.tensor(b + "attn_k.weight"), c.kvDim(), dim);
            float[] bq = bias ? check.vector(g, b + "attn_q.bias", c.qDim()) : null;
            float[] bk = bias ? check.vector(g, b + "attn_k.bias", c.kvDim()) : null;
            if (halvesLayout) {
                wq = wq.permuteRows(qOrder, source.arena());
                wk = wk.permuteRows(kOrder, source.arena());
                bq = RopeLayout.permute(bq, qOrder);
                bk = RopeLayout.permute(bk, kOrder);
            }
            layers.add(new LayerWeights(
                    check.vector(g, b + "attn_norm.weight", dim),
                    wq, wk,
                    check.shape(g.tensor(b + "attn_v.weight"), c.kvDim(), dim),
                    check.shape(g.tensor(b + "attn_output.weight"), dim, c.qDim()),
                    bq, bk,
                    bias ? check.vector(g, b + "attn_v.bias", c.kvDim()) : null,
                    check.vector(g, b + "ffn_norm.weight", dim),
                    check.shape(g.tensor(b + "ffn_gate.weight"), c.hiddenDim(), dim),
                    check.shape(g.tensor(b + "ffn_up.weight"), c.hiddenDim(), dim),
                    check.shape(g.tensor(b + "ffn_down.weight"), dim, c.hiddenDim())));
        }
        Tensor output = tied ? embedding : check.shape(g.tensor("output.weight"), vocab, dim);
        float[] invFreq = c.ropeInverseFrequencies();
        if (g.hasTensor("rope_freqs.weight")) {
            // llama.cpp stores Llama-3 scaling as per-pair divisors of the frequencies
            float[] factors = check.vector(g, "rope_freqs.weight", invFreq.length);
            for (int i = 0; i < invFreq.length; i++) {
                invFreq[i] /= factors[i];
            }
        }
        if ("linear".equals(g.metadata().get(p + "rope.scaling.type"))) {
            float factor = (float) g.getDouble(p + "rope.scaling.factor");
            for (int i = 0; i < invFreq.length; i++) {
                invFreq[i] /= factor;
            }
        }
        LlamaWeights w = new LlamaWeights(embedding, List.copyOf(layers),
                check.vector(g, "output_norm.weight", dim), output, invFreq);
        return new LlamaModel(c, w, source);
    }

    private static LlamaConfig config(GgufFile g, String arch, String p) {
        int dim = g.getInt(p + "embedding_length");
        int nHeads = g.getInt(p + "attention.head_count");
        if (nHeads <= 0) {
            throw new IllegalArgumentException(p + "attention.head_count is " + nHeads);
        }
        Tensor embedding = g.tensor("token_embd.weight");
        boolean tied = !g.hasTensor("output.weight");
        boolean bias = g.hasTensor("blk.0.attn_q.bias");
        RopeScaling scaling = null; // Llama-3 scaling arrives as the rope_freqs tensor, applied by the caller
        return new LlamaConfig(arch, dim, g.getInt(p + "feed_forward_length"), g.getInt(p + "block_count"),
                nHeads, g.getInt(p + "attention.head_count_kv", nHeads),
                g.getInt(p + "attention.key_length", dim / nHeads), embedding.rows(), g.getInt(p + "context_length", 2048),
                (float) g.getDouble(p + "attention.layer_norm_rms_epsilon", 1e-5),
                g.getDouble(p + "rope.freq_base", 10000.0), scaling, tied, bias);
    }

    /** Shape checks whose errors name the tensor and where its header entry is. */
    private record Checker(GgufFile g) {
        Tensor shape(Tensor t, long... expected) {
            if (!Arrays.equals(t.shape(), expected)) {
                throw new ModelFormatException(g.path(), t.name(), infoOffset(t.name()), "shape "
                        + Arrays.toString(t.shape()) + " does not match the configuration, expected "
                        + Arrays.toString(expected));
            }
            return t;
        }

        float[] vector(GgufFile g, String name, int length) {
            return shape(g.tensor(name), length).toFloats();
        }

        long infoOffset(String name) {
            for (GgufTensorInfo i : g.tensorInfos()) {
                if (i.name().equals(name)) {
                    return i.infoOffset();
                }
            }
            return -1;
        }
    }
}
