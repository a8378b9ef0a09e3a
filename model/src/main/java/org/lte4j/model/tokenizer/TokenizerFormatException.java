package org.lte4j.model.tokenizer;

/** A tokenizer description (GGUF metadata, tokenizer.json) that cannot be used; the message says where and why. */
public final class TokenizerFormatException extends RuntimeException {
    public TokenizerFormatException(String message) {
        super(message);
    }
}
