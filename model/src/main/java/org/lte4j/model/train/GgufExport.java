package org.lte4j.model.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tokenizer.Tokenizers;

/**
 * Trained models to and from GGUF with llama.cpp's tensor names and {@code llama.*} keys, plus
 * {@code lte.expert_size}, {@code lte.threshold} and {@code blk.N.ffn_router.weight}
 * ({@code [experts][dim]}) for LTE models. Tensors are F32 (the training master weights).
 */
public final class GgufExport {
    private GgufExport() {
    }

    public static void write(Path path, LlamaWeights w, TextTokenizer tokenizer) {
        LlamaConfig c = w.config();
        if (tokenizer.vocabSize() != c.vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens, model "
                    + c.vocabSize());
        }
        GgufWriter g = new GgufWriter();
        g.putString("general.architecture", "llama");
        g.putString("general.name", "lte4j " + (w.lte() == null ? "dense" : "LTE") + " model");
        g.put("general.file_type", GgufValueType.UINT32, 0); // all F32
        g.put("llama.context_length", GgufValueType.UINT32, c.contextLength());
        g.put("llama.embedding_length", GgufValueType.UINT32, c.dim());
        g.put("llama.feed_forward_length", GgufValueType.UINT32, c.ffnDim());
        g.put("llama.block_count", GgufValueType.UINT32, c.layers());
        g.put("llama.attention.head_count", GgufValueType.UINT32, c.heads());
        g.put("llama.attention.head_count_kv", GgufValueType.UINT32, c.kvHeads());
        g.put("llama.rope.freq_base", GgufValueType.FLOAT32, c.ropeTheta());
        g.put("llama.rope.dimension_count", GgufValueType.UINT32, c.headDim());
        g.put("llama.attention.layer_norm_rms_epsilon", GgufValueType.FLOAT32, c.normEps());
        g.put("llama.vocab_size", GgufValueType.UINT32, c.vocabSize());
        if (w.lte() != null) {
            g.put("lte.expert_size", GgufValueType.UINT32, w.lte().expertSize());
            g.put("lte.threshold", GgufValueType.FLOAT32, w.lte().threshold());
        }
        for (Map.Entry<String, Object> e : tokenizer.ggufMetadata().entrySet()) putValue(g, e.getKey(), e.getValue());
        for (Parameter p : w.all()) {
            long[] shape = p.isVector() ? new long[]{p.cols()} : new long[]{p.rows(), p.cols()};
            g.addTensor(p.name(), GgmlType.F32, shape, p.data());
        }
        try {
            if (path.getParent() != null) java.nio.file.Files.createDirectories(path.getParent());
            g.write(path);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private static void putValue(GgufWriter g, String key, Object v) {
        if (v instanceof String s) {
            g.putString(key, s);
        } else if (v instanceof Boolean b) {
            g.put(key, GgufValueType.BOOL, b);
        } else if (v instanceof Float || v instanceof Double) {
            g.put(key, GgufValueType.FLOAT32, ((Number) v).floatValue());
        } else if (v instanceof Number n) {
            g.put(key, GgufValueType.UINT32, n.longValue());
        } else if (v instanceof List<?> list) {
            Object first = list.isEmpty() ? "" : list.getFirst();
            GgufValueType t = first instanceof String ? GgufValueType.STRING
                    : first instanceof Float || first instanceof Double ? GgufValueType.FLOAT32 : GgufValueType.INT32;
            g.putArray(key, t, list);
        } else {
            throw new IllegalArgumentException("cannot write tokenizer metadata " + key + " of " + v.getClass());
        }
    }

    /** Reads a Llama GGUF (any tensor type, converted to fp32) with its tokenizer. */
    public static ModelIO.Loaded read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            String arch = f.getString("general.architecture");
            if (!arch.equals("llama")) {
                throw new IllegalArgumentException(path + ": architecture '" + arch + "' is not llama");
            }
            int dim = f.getInt("llama.embedding_length");
            int heads = f.getInt("llama.attention.head_count");
            boolean tied = !f.hasTensor("output.weight");
            int vocab = f.tensor("token_embd.weight").rows();
            LlamaConfig c = new LlamaConfig(vocab, dim, f.getInt("llama.block_count"), heads,
                    f.getInt("llama.attention.head_count_kv", heads), f.getInt("llama.feed_forward_length"),
                    f.getInt("llama.context_length"), (float) f.getDouble("llama.rope.freq_base", 10000.0),
                    (float) f.getDouble("llama.attention.layer_norm_rms_epsilon", 1e-5), tied);
            LlamaWeights w = LlamaWeights.zeros(c);
            if (f.metadata().containsKey("lte.expert_size")) {
                w.setLte(new LteSpec(f.getInt("lte.expert_size"), (float) f.getDouble("lte.threshold", 0.5)));
            }
            for (Parameter p : w.all()) {
                if (!f.hasTensor(p.name())) throw new IllegalArgumentException(path + ": missing tensor " + p.name());
                float[] v = f.tensor(p.name()).toFloats();
                if (v.length != p.data().length) {
                    throw new IllegalArgumentException(path + ": tensor " + p.name() + " has " + v.length
                            + " values, expected " + p.data().length);
                }
                System.arraycopy(v, 0, p.data(), 0, v.length);
            }
            var tok = Tokenizers.fromGgufMetadata(f.metadata())
                    .orElseThrow(() -> new IllegalArgumentException(path + " has no tokenizer metadata"));
            return new ModelIO.Loaded(w, new LibraryTokenizer(tok));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
