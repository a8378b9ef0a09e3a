package org.lte4j.model.train;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.lte4j.model.tokenizer.BpeTrainer;
import org.lte4j.model.tokenizer.PreTokenizer;

/**
 * One token per UTF-8 byte (vocabulary 256): token i is byte i.
 */
public final class ByteTokenizer implements TextTokenizer {

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) b[i] = (byte) ids[i];
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return 256;
    }

    /**
     * A byte-level BPE vocabulary of the 256 byte tokens, no merges and no special tokens (as the
     * tokenizer package writes it), so GGUF readers decode it as bytes.
     */
    @Override
    public Map<String, Object> ggufMetadata() {
        return BpeTrainer.train("", 256, PreTokenizer.LLAMA3, List.of(), BpeTrainer.Progress.NONE).toGgufMetadata();
    }
}
