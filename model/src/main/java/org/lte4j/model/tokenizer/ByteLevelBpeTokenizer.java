package org.lte4j.model.tokenizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen2; GGUF {@code tokenizer.ggml.model = "gpt2"}): the text is
 * cut into chunks by a {@link PreTokenizer}, each chunk's UTF-8 bytes are spelled with GPT-2's
 * byte-to-character mapping, and ranked merges join the byte tokens. Every byte has a token, so
 * any text encodes and decodes back exactly.
 */
public final class ByteLevelBpeTokenizer extends AbstractTokenizer {
    private static final int CACHE_LIMIT = 100_000;

    private final MergeTable merges;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final int[] byteToken = new int[256];
    private final Map<String, int[]> chunkCache = new ConcurrentHashMap<>();

    /**
     * @param ignoreMerges when a whole chunk is itself a token, use it without running the merges
     *                     (Hugging Face {@code ignore_merges}; llama.cpp does this for Llama 3)
     */
    ByteLevelBpeTokenizer(Vocabulary vocab, List<?> merges, PreTokenizer preTokenizer, boolean ignoreMerges, String where) {
        super(vocab);
        this.merges = MergeTable.parse(merges, vocab, where);
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteToken[b] = vocab.id(String.valueOf(ByteLevel.charOf(b)));
        }
    }

    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    /** The merges, "left right" in rank order. */
    public List<String> merges() {
        return merges.texts();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String chunk : preTokenizer.split(text)) {
            int[] cached = chunkCache.get(chunk);
            if (cached == null) {
                cached = encodeChunk(chunk);
                if (chunkCache.size() < CACHE_LIMIT) {
                    chunkCache.put(chunk, cached);
                }
            }
            out.addAll(cached);
        }
    }

    private int[] encodeChunk(String chunk) {
        String spelled = ByteLevel.encode(chunk);
        if (ignoreMerges) {
            int whole = vocab.id(spelled);
            if (whole >= 0 && vocab.type(whole) == TokenType.NORMAL) {
                return new int[] {whole};
            }
        }
        IntList symbols = new IntList(spelled.length());
        for (int i = 0; i < spelled.length(); i++) {
            int b = ByteLevel.byteOf(spelled.charAt(i));
            int id = byteToken[b];
            if (id < 0) {
                id = vocab.unk();
                if (id < 0) {
                    throw new IllegalArgumentException("byte 0x" + Integer.toHexString(b)
                            + " has no token in this vocabulary and there is no unknown token");
                }
            }
            symbols.add(id);
        }
        IntList out = new IntList(symbols.size());
        merges.apply(symbols, 0, out);
        return out.toArray();
    }

    @Override
    public byte[] bytes(int id) {
        if (vocab.type(id) == TokenType.BYTE) {
            return SentencePieceBpeTokenizer.byteTokenValue(vocab.text(id));
        }
        return ByteLevel.decode(vocab.text(id));
    }

    @Override
    public boolean stripsLeadingSpace() {
        return false;
    }

    /** @throws IllegalStateException when the pre-tokenizer is a regex llama.cpp has no name for */
    @Override
    public Map<String, Object> toGgufMetadata() {
        if (preTokenizer.name().equals("custom")) {
            throw new IllegalStateException("the pre-tokenizer regex '" + preTokenizer.regex()
                    + "' has no tokenizer.ggml.pre name, so a GGUF file could not say how to split text");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(GgufTokenizerKeys.MODEL, "gpt2");
        m.put(GgufTokenizerKeys.PRE, preTokenizer.name());
        vocab.putGgufMetadata(m);
        m.put(GgufTokenizerKeys.MERGES, merges.texts());
        return m;
    }

    @Override
    public String toString() {
        return "ByteLevelBpeTokenizer[vocab=" + vocabSize() + ", merges=" + merges.size() + ", pre=" + preTokenizer.name() + "]";
    }
}
