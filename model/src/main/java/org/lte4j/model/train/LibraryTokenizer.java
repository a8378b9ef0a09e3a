package org.lte4j.model.train;

import java.util.Map;
import org.lte4j.model.tokenizer.Tokenizer;

/** A tokenizer of org.lte4j.model.tokenizer (loaded from GGUF or trained by BpeTrainer) for training. */
public record LibraryTokenizer(Tokenizer tokenizer) implements TextTokenizer {
    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    @Override
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    @Override
    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    @Override
    public Map<String, Object> ggufMetadata() {
        return tokenizer.toGgufMetadata();
    }
}
