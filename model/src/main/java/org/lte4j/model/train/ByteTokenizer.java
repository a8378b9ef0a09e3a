package org.lte4j.model.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One token per UTF-8 byte (vocabulary 256). In GGUF it is a GPT-2 style byte-level BPE
 * vocabulary with no merges: token i is byte i written with GPT-2's byte-to-unicode map, so any
 * byte-level BPE reader decodes it.
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

    /** GPT-2's reversible byte-to-unicode map: printable bytes map to themselves. */
    static String byteToUnicode(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return String.valueOf((char) b);
        int n = 0;
        for (int i = 0; i < b; i++) {
            boolean p = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
            if (!p) n++;
        }
        return String.valueOf((char) (256 + n));
    }

    @Override
    public Map<String, Object> ggufMetadata() {
        List<String> tokens = new ArrayList<>(256);
        int[] types = new int[256];
        for (int i = 0; i < 256; i++) {
            tokens.add(byteToUnicode(i));
            types[i] = 1; // normal
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", "default");
        m.put("tokenizer.ggml.tokens", tokens);
        m.put("tokenizer.ggml.token_type", types);
        m.put("tokenizer.ggml.merges", List.<String>of());
        return m;
    }
}
