package org.lte4j.model.train;

import java.util.Map;

/** The tokenizer a training run uses: text to ids and back, and its GGUF metadata. */
public interface TextTokenizer {
    int[] encode(String text);

    String decode(int[] ids);

    int vocabSize();

    /** The {@code tokenizer.ggml.*} metadata that lets a GGUF reader rebuild this tokenizer. */
    Map<String, Object> ggufMetadata();
}
