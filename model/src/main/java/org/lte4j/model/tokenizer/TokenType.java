package org.lte4j.model.tokenizer;

/**
 * What a vocabulary entry is. The codes are the ones GGUF stores in {@code tokenizer.ggml.token_type}
 * (llama.cpp's numbering), so a vocabulary round-trips through a GGUF file unchanged.
 */
public enum TokenType {
    UNDEFINED(0),
    /** Ordinary text piece; the only kind BPE merges produce. */
    NORMAL(1),
    /** The unknown-piece token, used when neither the vocabulary nor byte fallback covers a character. */
    UNKNOWN(2),
    /** Markers such as BOS/EOS or chat-turn delimiters; matched in text only when asked to. */
    CONTROL(3),
    /** Added pieces that are always matched verbatim in text and decoded verbatim. */
    USER_DEFINED(4),
    UNUSED(5),
    /** One raw byte, spelled {@code <0xXX>} (SentencePiece byte fallback). */
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    /** The GGUF {@code token_type} code. */
    public int code() {
        return code;
    }

    /** Whether the token is a marker that is not ordinary text (control, user-defined or unknown). */
    public boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    public static TokenType ofCode(int code) {
        for (TokenType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new TokenizerFormatException("unknown token type code " + code
                + " (GGUF tokenizer.ggml.token_type uses 0..6)");
    }
}
