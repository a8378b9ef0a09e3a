package org.lte4j.model.hf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaWeights;
import org.lte4j.model.llama.ModelSource;
import org.lte4j.model.llama.RopeLayout;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

/**
 * Builds a {@link LlamaModel} from a Hugging Face folder. Weights stay in the mapped safetensors
 * shards (fp32, fp16 or bf16) except q/k projections, whose rows are permuted from Hugging Face's
 * rotate-half RoPE order into lte4j's interleaved order (copies owned by the model).
 */
public final class HfModelLoader {
    private HfModelLoader() {
    }

    public static LlamaModel load(Path folder) throws IOException {
        HfConfig config = HfConfig.read(folder);
        LlamaConfig c = config.toLlamaConfig();
        ModelSource source = new ModelSource(folder, ModelSource.Format.HUGGING_FACE, config.json());
        try {
            HfCheckpoint ckpt = source.own(HfCheckpoint.open(folder));
            return new LlamaModel(c, weights(c, ckpt, source), source);
        } catch (RuntimeException | IOException e) {
            source.close();
            throw e;
        }
    }

    static LlamaWeights weights(LlamaConfig c, HfCheckpoint ckpt, ModelSource source) {
        int dim = c.dim();
        Tensor embedding = shape(ckpt, "model.embed_tokens.weight", c.vocabSize(), dim);
        int[] qOrder = RopeLayout.halvesToInterleaved(c.nHeads(), c.headDim());
        int[] kOrder = RopeLayout.halvesToInterleaved(c.nKvHeads(), c.headDim());
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            String a = p + "self_attn.";
            String m = p + "mlp.";
            layers.add(new LayerWeights(
                    vector(ckpt, p + "input_layernorm.weight", dim),
                    shape(ckpt, a + "q_proj.weight", c.qDim(), dim).permuteRows(qOrder, source.arena()),
                    shape(ckpt, a + "k_proj.weight", c.kvDim(), dim).permuteRows(kOrder, source.arena()),
                    shape(ckpt, a + "v_proj.weight", c.kvDim(), dim),
                    shape(ckpt, a + "o_proj.weight", dim, c.qDim()),
                    c.qkvBias() ? RopeLayout.permute(vector(ckpt, a + "q_proj.bias", c.qDim()), qOrder) : null,
                    c.qkvBias() ? RopeLayout.permute(vector(ckpt, a + "k_proj.bias", c.kvDim()), kOrder) : null,
                    c.qkvBias() ? vector(ckpt, a + "v_proj.bias", c.kvDim()) : null,
                    vector(ckpt, p + "post_attention_layernorm.weight", dim),
                    shape(ckpt, m + "gate_proj.weight", c.hiddenDim(), dim),
                    shape(ckpt, m + "up_proj.weight", c.hiddenDim(), dim),
                    shape(ckpt, m + "down_proj.weight", dim, c.hiddenDim())));
        }
        Tensor output = c.tiedEmbeddings() || !ckpt.hasTensor("lm_head.weight")
                ? embedding : shape(ckpt, "lm_head.weight", c.vocabSize(), dim);
        return new LlamaWeights(embedding, List.copyOf(layers), vector(ckpt, "model.norm.weight", dim), output,
                c.ropeInverseFrequencies());
    }

    private static Tensor shape(HfCheckpoint ckpt, String name, long... expected) {
        Tensor t = ckpt.tensor(name);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new ModelFormatException(ckpt.fileOf(name), name, -1, "shape " + Arrays.toString(t.shape())
                    + " does not match config.json, expected " + Arrays.toString(expected));
        }
        return t;
    }

    private static float[] vector(HfCheckpoint ckpt, String name, int length) {
        return shape(ckpt, name, length).toFloats();
    }
}
