package org.lte4j.model.tokenizer;

/** The GGUF metadata keys of a tokenizer (the names llama.cpp writes and reads). */
public final class GgufTokenizerKeys {
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    public static final String UNK_ID = "tokenizer.ggml.unknown_token_id";
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    private GgufTokenizerKeys() {
    }
}
