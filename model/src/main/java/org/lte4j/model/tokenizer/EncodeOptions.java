package org.lte4j.model.tokenizer;

/**
 * How to encode text.
 *
 * @param addBos             put the BOS token first (ignored when the tokenizer has none)
 * @param parseSpecialTokens recognise the text of control tokens (e.g. {@code <|im_end|>}) and
 *                           emit their ids, as chat templates need; when false such text is encoded
 *                           as ordinary characters, so user input cannot inject control tokens
 */
public record EncodeOptions(boolean addBos, boolean parseSpecialTokens) {
    /** Ordinary text: no BOS, control-token text is literal. */
    public static final EncodeOptions PLAIN = new EncodeOptions(false, false);
    /** A prompt start: BOS first, control-token text is literal. */
    public static final EncodeOptions WITH_BOS = new EncodeOptions(true, false);
    /** A rendered chat template: no implicit BOS (templates write it), control tokens parsed. */
    public static final EncodeOptions SPECIAL_TOKENS = new EncodeOptions(false, true);
}
