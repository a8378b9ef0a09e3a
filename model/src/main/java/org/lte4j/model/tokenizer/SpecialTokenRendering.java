package org.lte4j.model.tokenizer;

/** How decoding treats control, user-defined and unknown tokens. */
public enum SpecialTokenRendering {
    /** Write their text, e.g. {@code <|eot_id|>}. */
    AS_TEXT,
    /** Leave control and unknown tokens out (user-defined tokens are ordinary added text and stay). */
    OMIT
}
