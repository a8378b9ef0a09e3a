package org.lte4j.model.hf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.RopeLayout;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * Converts a loaded model into a GGUF file laid out as llama.cpp's converter lays it out:
 * tensor names {@code token_embd}, {@code blk.N.attn_q}, ...; architecture {@code llama} (also for
 * Mistral) with q/k rows in interleaved RoPE order, or {@code qwen2} with q/k rows in rotate-half
 * order; Llama-3 RoPE scaling as the {@code rope_freqs.weight} divisors. Matrices are written in
 * {@code matrixType} (F32, F16, BF16, Q8_0, Q4_0), vectors in F32. Tokenizer metadata is not
 * written.
 */
public final class HfToGguf {
    private HfToGguf() {
    }

    /** Loads {@code hfFolder} and writes it to {@code gguf}. */
    public static void convert(Path hfFolder, Path gguf, GgmlType matrixType) throws IOException {
        try (LlamaModel m = LlamaModel.load(hfFolder)) {
            write(m, gguf, matrixType);
        }
    }

    public static void write(LlamaModel model, Path gguf, GgmlType matrixType) throws IOException {
        LlamaConfig c = model.config();
        boolean qwen = c.architecture().equals("qwen2");
        String arch = qwen ? "qwen2" : "llama";
        String p = arch + ".";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", model.source().path().getFileName().toString())
                .put(p + "context_length", GgufValueType.UINT32, c.contextLength())
                .put(p + "embedding_length", GgufValueType.UINT32, c.dim())
                .put(p + "feed_forward_length", GgufValueType.UINT32, c.hiddenDim())
                .put(p + "block_count", GgufValueType.UINT32, c.nLayers())
                .put(p + "attention.head_count", GgufValueType.UINT32, c.nHeads())
                .put(p + "attention.head_count_kv", GgufValueType.UINT32, c.nKvHeads())
                .put(p + "attention.key_length", GgufValueType.UINT32, c.headDim())
                .put(p + "attention.value_length", GgufValueType.UINT32, c.headDim())
                .put(p + "attention.layer_norm_rms_epsilon", GgufValueType.FLOAT32, c.rmsEps())
                .put(p + "rope.freq_base", GgufValueType.FLOAT32, (float) c.ropeTheta())
                .put(p + "rope.dimension_count", GgufValueType.UINT32, c.headDim())
                .put(p + "vocab_size", GgufValueType.UINT32, c.vocabSize())
                .put("general.file_type", GgufValueType.UINT32, fileType(matrixType));
        // internal q/k rows are interleaved; qwen2 GGUF files keep Hugging Face's rotate-half order
        int[] qOrder = qwen ? RopeLayout.interleavedToHalves(c.nHeads(), c.headDim()) : null;
        int[] kOrder = qwen ? RopeLayout.interleavedToHalves(c.nKvHeads(), c.headDim()) : null;
        matrix(w, "token_embd.weight", model.weights().tokenEmbedding(), matrixType, null);
        List<LayerWeights> layers = model.weights().layers();
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights lw = layers.get(l);
            String b = "blk." + l + ".";
            vector(w, b + "attn_norm.weight", lw.attnNorm());
            matrix(w, b + "attn_q.weight", lw.wq(), matrixType, qOrder);
            matrix(w, b + "attn_k.weight", lw.wk(), matrixType, kOrder);
            matrix(w, b + "attn_v.weight", lw.wv(), matrixType, null);
            matrix(w, b + "attn_output.weight", lw.wo(), matrixType, null);
            if (lw.bq() != null) {
                vector(w, b + "attn_q.bias", qwen ? RopeLayout.permute(lw.bq(), qOrder) : lw.bq());
                vector(w, b + "attn_k.bias", qwen ? RopeLayout.permute(lw.bk(), kOrder) : lw.bk());
                vector(w, b + "attn_v.bias", lw.bv());
            }
            vector(w, b + "ffn_norm.weight", lw.ffnNorm());
            matrix(w, b + "ffn_gate.weight", lw.wGate(), matrixType, null);
            matrix(w, b + "ffn_up.weight", lw.wUp(), matrixType, null);
            matrix(w, b + "ffn_down.weight", lw.wDown(), matrixType, null);
        }
        vector(w, "output_norm.weight", model.weights().outputNorm());
        if (model.weights().output() != model.weights().tokenEmbedding()) {
            matrix(w, "output.weight", model.weights().output(), matrixType, null);
        }
        if (c.ropeScaling() != null) {
            float[] plain = new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(),
                    c.nKvHeads(), c.headDim(), c.vocabSize(), c.contextLength(), c.rmsEps(), c.ropeTheta(), null,
                    c.tiedEmbeddings(), c.qkvBias()).ropeInverseFrequencies();
            float[] scaled = model.weights().ropeInvFreq();
            float[] divisors = new float[plain.length];
            for (int i = 0; i < plain.length; i++) {
                divisors[i] = plain[i] / scaled[i];
            }
            vector(w, "rope_freqs.weight", divisors);
        }
        w.write(gguf);
    }

    /** llama.cpp's LLAMA_FTYPE for a file whose matrices are all {@code t}. */
    private static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("cannot write matrices as " + t);
        };
    }

    private static void matrix(GgufWriter w, String name, Tensor t, GgmlType type, int[] rowOrder) {
        float[] v = t.toFloats();
        if (rowOrder != null) {
            float[] out = new float[v.length];
            int cols = t.cols();
            for (int r = 0; r < rowOrder.length; r++) {
                System.arraycopy(v, rowOrder[r] * cols, out, r * cols, cols);
            }
            v = out;
        }
        GgmlType use = t.cols() % type.blockSize == 0 ? type : GgmlType.F32;
        w.addTensor(name, use, t.shape(), v);
    }

    private static void vector(GgufWriter w, String name, float[] v) {
        w.addTensor(name, GgmlType.F32, new long[] {v.length}, v);
    }
}
