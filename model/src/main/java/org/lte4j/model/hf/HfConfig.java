package org.lte4j.model.hf;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.lte4j.model.json.Json;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.RopeScaling;
import org.lte4j.model.tensor.ModelFormatException;

/**
 * Reads a Hugging Face {@code config.json} into a {@link LlamaConfig}. Accepts both the
 * transformers 4 layout ({@code rope_theta}, {@code rope_scaling}) and the transformers 5 one
 * ({@code rope_parameters} holding both).
 */
public final class HfConfig {
    private final Path file;
    private final Map<String, Object> json;

    private HfConfig(Path file, Map<String, Object> json) {
        this.file = file;
        this.json = json;
    }

    public static HfConfig read(Path folder) throws IOException {
        Path file = folder.resolve("config.json");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(folder, "config.json", -1, "not a Hugging Face model folder: no config.json");
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, null, -1, "not valid UTF-8 text", e);
        }
        try {
            return new HfConfig(file, Json.parseObject(text));
        } catch (Json.JsonException e) {
            throw new ModelFormatException(file, null, e.offset(), "malformed JSON: " + e.getMessage(), e);
        }
    }

    public Map<String, Object> json() {
        return json;
    }

    public String modelType() {
        return string("model_type");
    }

    public LlamaConfig toLlamaConfig() {
        try {
            return llamaConfig();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(file, null, -1, "inconsistent model configuration: " + e.getMessage(), e);
        }
    }

    private LlamaConfig llamaConfig() {
        String type = modelType();
        if (!type.equals("llama") && !type.equals("mistral") && !type.equals("qwen2")) {
            throw new ModelFormatException(file, "model_type", -1,
                    "unsupported model_type '" + type + "' (supported: llama, mistral, qwen2)");
        }
        String act = java.util.Objects.toString(json.get("hidden_act"), "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(file, "hidden_act", -1, "unsupported activation '" + act + "' (need silu)");
        }
        int dim = integer("hidden_size", null);
        int heads = integer("num_attention_heads", null);
        Object hd = json.get("head_dim");
        int headDim = hd == null ? dim / heads : integer("head_dim", null);
        Map<String, Object> ropeParams = object("rope_parameters");
        Map<String, Object> ropeScaling = object("rope_scaling");
        double theta = json.containsKey("rope_theta") ? number("rope_theta", json)
                : ropeParams != null && ropeParams.containsKey("rope_theta") ? number("rope_theta", ropeParams) : 10000.0;
        Map<String, Object> scalingSource = ropeScaling != null ? ropeScaling : ropeParams;
        RopeScaling scaling = null;
        if (scalingSource != null) {
            Object t = scalingSource.getOrDefault("rope_type", scalingSource.get("type"));
            String ropeType = t == null ? "default" : t.toString();
            switch (ropeType) {
                case "default" -> { }
                case "llama3" -> scaling = new RopeScaling(number("factor", scalingSource),
                        number("low_freq_factor", scalingSource), number("high_freq_factor", scalingSource),
                        (int) number("original_max_position_embeddings", scalingSource));
                default -> throw new ModelFormatException(file, "rope_type", -1,
                        "unsupported RoPE scaling '" + ropeType + "' (supported: default, llama3)");
            }
        }
        boolean bias = type.equals("qwen2") || Boolean.TRUE.equals(json.get("attention_bias"));
        return new LlamaConfig(type, dim, integer("intermediate_size", null), integer("num_hidden_layers", null), heads,
                integer("num_key_value_heads", heads), headDim, integer("vocab_size", null),
                integer("max_position_embeddings", 2048), (float) number("rms_norm_eps", json),
                theta, scaling, Boolean.TRUE.equals(json.get("tie_word_embeddings")), bias);
    }

    private String string(String key) {
        if (!(json.get(key) instanceof String s)) {
            throw new ModelFormatException(file, key, -1, "missing or not a string");
        }
        return s;
    }

    private int integer(String key, Integer defaultValue) {
        Object v = json.get(key);
        if (v == null && defaultValue != null) {
            return defaultValue;
        }
        if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
            throw new ModelFormatException(file, key, -1, "missing or not a positive integer: " + v);
        }
        return (int) (long) l;
    }

    private double number(String key, Map<String, Object> in) {
        if (!(in.get(key) instanceof Number n)) {
            throw new ModelFormatException(file, key, -1, "missing or not a number: " + in.get(key));
        }
        return n.doubleValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(String key) {
        Object v = json.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw new ModelFormatException(file, key, -1, "not an object");
        }
        return (Map<String, Object>) v;
    }
}
