package org.lte4j.model.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.lte4j.model.json.Json;

/**
 * Builds a tokenizer from a Hugging Face {@code tokenizer.json} with a BPE model: byte-level
 * (GPT-2, Llama 3, Qwen2: a {@code ByteLevel} pre-tokenizer, optionally after a regex
 * {@code Split}) or SentencePiece style ({@code ▁} for spaces, {@code byte_fallback}).
 * BOS/EOS come from {@code tokenizer_config.json} when given, else from the post-processor
 * template and well-known token texts.
 */
final class HuggingFaceTokenizerLoader {
    private static final List<String> EOS_TEXTS = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>");

    private final String where;

    private HuggingFaceTokenizerLoader(String where) {
        this.where = where;
    }

    /**
     * @param tokenizerJson   the text of tokenizer.json
     * @param tokenizerConfig parsed tokenizer_config.json, or null
     * @param where           names the file in error messages
     */
    static Tokenizer load(String tokenizerJson, Map<String, Object> tokenizerConfig, String where) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(tokenizerJson);
        } catch (Json.JsonException e) {
            throw new TokenizerFormatException(where + ": " + e.getMessage());
        }
        return new HuggingFaceTokenizerLoader(where).build(root, tokenizerConfig == null ? Map.of() : tokenizerConfig);
    }

    private Tokenizer build(Map<String, Object> root, Map<String, Object> config) {
        Map<String, Object> model = object(root.get("model"), "model");
        String type = (String) model.get("type");
        if (type != null && !"BPE".equals(type)) {
            throw new TokenizerFormatException(where + ": model.type '" + type + "' is not supported; lte4j reads BPE");
        }
        if (model.get("continuing_subword_prefix") != null || model.get("end_of_word_suffix") != null) {
            throw new TokenizerFormatException(where + ": BPE with continuing_subword_prefix/end_of_word_suffix is not supported");
        }
        Map<String, Object> vocabJson = object(model.get("vocab"), "model.vocab");
        List<?> merges = model.get("merges") instanceof List<?> l ? l : List.of();

        // Token table: model.vocab plus added_tokens, gaps filled as unused pads like llama.cpp's converter.
        Map<Integer, String> texts = new HashMap<>();
        Map<Integer, TokenType> types = new HashMap<>();
        int size = 0;
        for (Map.Entry<String, Object> e : vocabJson.entrySet()) {
            int id = id(e.getValue(), "model.vocab['" + e.getKey() + "']");
            texts.put(id, e.getKey());
            size = Math.max(size, id + 1);
        }
        if (root.get("added_tokens") instanceof List<?> added) {
            for (Object o : added) {
                Map<String, Object> t = object(o, "added_tokens[]");
                int id = id(t.get("id"), "added_tokens[].id");
                String content = (String) t.get("content");
                texts.put(id, content);
                types.put(id, Boolean.TRUE.equals(t.get("special")) ? TokenType.CONTROL : TokenType.USER_DEFINED);
                size = Math.max(size, id + 1);
            }
        }
        boolean byteLevel = hasStep(root.get("pre_tokenizer"), "ByteLevel") || hasStep(root.get("decoder"), "ByteLevel");
        String unkText = model.get("unk_token") instanceof String s ? s : null;
        List<String> textList = new ArrayList<>(size);
        List<TokenType> typeList = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            String t = texts.get(i);
            TokenType ty = types.get(i);
            if (t == null) {
                t = "[PAD" + i + "]";
                ty = TokenType.UNUSED;
            } else if (t.equals(unkText)) {
                ty = TokenType.UNKNOWN; // also when listed among the added special tokens
            } else if (ty == null) {
                ty = !byteLevel && t.length() == 6 && t.matches("<0x[0-9A-F]{2}>") ? TokenType.BYTE
                        : TokenType.NORMAL;
            }
            textList.add(t);
            typeList.add(ty);
        }

        int bos = specialId(config.get("bos_token"), textList);
        boolean addBos;
        String templateBos = templateFirstSpecial(root.get("post_processor"));
        if (bos < 0 && templateBos != null) {
            bos = textList.indexOf(templateBos);
        }
        addBos = config.get("add_bos_token") instanceof Boolean b ? b : templateBos != null && bos >= 0;
        int eos = specialId(config.get("eos_token"), textList);
        if (eos < 0) {
            for (String t : EOS_TEXTS) {
                eos = textList.indexOf(t);
                if (eos >= 0) {
                    break;
                }
            }
        }
        int eot = -1;
        for (String t : GgufTokenizerLoader.END_OF_TURN_TEXTS) {
            int i = textList.indexOf(t);
            if (i >= 0 && typeList.get(i).isSpecial() && i != eos) {
                eot = i;
                break;
            }
        }
        Vocabulary vocab = new Vocabulary(textList, typeList, null, bos, eos, eot,
                unkText == null ? -1 : textList.indexOf(unkText), addBos);

        if (byteLevel) {
            return new ByteLevelBpeTokenizer(vocab, merges, byteLevelPreTokenizer(root.get("pre_tokenizer")),
                    Boolean.TRUE.equals(model.get("ignore_merges")), where + " model.merges");
        }
        boolean spaceMarkers = hasStep(root.get("normalizer"), "Replace") || hasStep(root.get("pre_tokenizer"), "Metaspace")
                || Boolean.TRUE.equals(model.get("byte_fallback"));
        if (!spaceMarkers) {
            throw new TokenizerFormatException(where + ": neither a ByteLevel pre-tokenizer/decoder nor SentencePiece-style "
                    + "'▁' spaces/byte_fallback; lte4j cannot tell how this BPE splits text");
        }
        return new SentencePieceBpeTokenizer(vocab, addsSpacePrefix(root), merges, where + " model.merges");
    }

    private PreTokenizer byteLevelPreTokenizer(Object pre) {
        PreTokenizer chosen = null;
        for (Map<String, Object> step : steps(pre)) {
            String type = (String) step.get("type");
            switch (type == null ? "" : type) {
                case "Split" -> {
                    if (!"Isolated".equals(step.get("behavior")) || Boolean.TRUE.equals(step.get("invert"))) {
                        throw new TokenizerFormatException(where + ": pre_tokenizer Split with behavior "
                                + step.get("behavior") + (Boolean.TRUE.equals(step.get("invert")) ? ", invert" : "")
                                + " is not supported (only Isolated)");
                    }
                    Map<String, Object> pattern = object(step.get("pattern"), "pre_tokenizer Split.pattern");
                    if (!(pattern.get("Regex") instanceof String regex)) {
                        throw new TokenizerFormatException(where + ": pre_tokenizer Split.pattern has no Regex");
                    }
                    if (chosen != null) {
                        throw new TokenizerFormatException(where + ": more than one regex Split step is not supported");
                    }
                    chosen = PreTokenizer.ofRegex(regex);
                }
                case "ByteLevel" -> {
                    if (Boolean.TRUE.equals(step.get("add_prefix_space"))) {
                        throw new TokenizerFormatException(where + ": ByteLevel add_prefix_space=true is not supported");
                    }
                    if (!Boolean.FALSE.equals(step.get("use_regex"))) {
                        if (chosen != null) {
                            throw new TokenizerFormatException(where + ": a regex Split followed by ByteLevel use_regex=true is not supported");
                        }
                        chosen = PreTokenizer.GPT2;
                    }
                }
                default -> throw new TokenizerFormatException(where + ": pre_tokenizer step '" + type + "' is not supported");
            }
        }
        if (chosen == null) {
            throw new TokenizerFormatException(where + ": byte-level BPE without a splitting regex is not supported");
        }
        return chosen;
    }

    private boolean addsSpacePrefix(Map<String, Object> root) {
        for (Map<String, Object> step : steps(root.get("normalizer"))) {
            if ("Prepend".equals(step.get("type")) && "\u2581".equals(step.get("prepend"))) {
                return true;
            }
        }
        for (Map<String, Object> step : steps(root.get("pre_tokenizer"))) {
            if ("Metaspace".equals(step.get("type"))) {
                Object scheme = step.get("prepend_scheme");
                if (scheme != null) {
                    return !"never".equals(scheme);
                }
                return !Boolean.FALSE.equals(step.get("add_prefix_space"));
            }
        }
        return false;
    }

    /** The steps of a normalizer/pre-tokenizer/decoder, flattening a Sequence. */
    private List<Map<String, Object>> steps(Object o) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!(o instanceof Map<?, ?>)) {
            return out;
        }
        Map<String, Object> m = object(o, "step");
        if ("Sequence".equals(m.get("type"))) {
            for (String key : List.of("normalizers", "pretokenizers", "decoders", "processors")) {
                if (m.get(key) instanceof List<?> l) {
                    for (Object x : l) {
                        out.addAll(steps(x));
                    }
                }
            }
        } else {
            out.add(m);
        }
        return out;
    }

    private boolean hasStep(Object o, String type) {
        return steps(o).stream().anyMatch(s -> type.equals(s.get("type")));
    }

    /** The first SpecialToken of a TemplateProcessing post-processor's single template, if it leads. */
    private String templateFirstSpecial(Object post) {
        for (Map<String, Object> step : steps(post)) {
            if ("TemplateProcessing".equals(step.get("type")) && step.get("single") instanceof List<?> single
                    && !single.isEmpty() && single.get(0) instanceof Map<?, ?> first
                    && first.get("SpecialToken") instanceof Map<?, ?> st && st.get("id") instanceof String id) {
                return id;
            }
        }
        return null;
    }

    /** tokenizer_config.json writes a special token as a string or as {"content": ...}. */
    private static int specialId(Object v, List<String> texts) {
        if (v instanceof Map<?, ?> m) {
            v = m.get("content");
        }
        return v instanceof String s ? texts.indexOf(s) : -1;
    }

    private int id(Object v, String what) {
        if (!(v instanceof Number n) || n.longValue() < 0 || n.longValue() > Integer.MAX_VALUE) {
            throw new TokenizerFormatException(where + ": " + what + " should be a token id, found " + MetadataValues.describe(v));
        }
        return n.intValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map<?, ?>)) {
            throw new TokenizerFormatException(where + ": " + what + " should be an object, found " + MetadataValues.describe(v));
        }
        return (Map<String, Object>) v;
    }
}
