package org.lte4j.model.tokenizer;

import static org.lte4j.model.tokenizer.GgufTokenizerKeys.*;

import java.util.List;
import java.util.Map;

import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;

/** Puts a tokenizer's metadata into a GGUF file with the value types llama.cpp writes. */
public final class GgufTokenizerWriter {
    private GgufTokenizerWriter() {
    }

    /** Adds every {@code tokenizer.ggml.*} key of {@link Tokenizer#toGgufMetadata()} to {@code writer}. */
    public static GgufWriter put(GgufWriter writer, Tokenizer tokenizer) {
        for (Map.Entry<String, Object> e : tokenizer.toGgufMetadata().entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            switch (key) {
                case MODEL, PRE -> writer.putString(key, (String) v);
                case TOKENS, MERGES -> writer.putArray(key, GgufValueType.STRING, (List<?>) v);
                case TOKEN_TYPE -> writer.putArray(key, GgufValueType.INT32, (List<?>) v);
                case SCORES -> writer.putArray(key, GgufValueType.FLOAT32, (List<?>) v);
                case BOS_ID, EOS_ID, EOT_ID, UNK_ID -> writer.put(key, GgufValueType.UINT32, v);
                case ADD_BOS, ADD_EOS, ADD_SPACE_PREFIX -> writer.put(key, GgufValueType.BOOL, v);
                default -> throw new IllegalStateException("no GGUF type known for tokenizer key " + key);
            }
        }
        return writer;
    }
}
