package org.lte4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE (Llama 1/2, Mistral; GGUF {@code tokenizer.ggml.model = "llama"}):
 * spaces are written {@code ▁}, a space is put in front of the text ({@code add_space_prefix}),
 * the text starts as single characters, and adjacent pieces merge while their concatenation is a
 * token, the highest-scoring one first (leftmost on ties), as llama.cpp's SPM tokenizer does.
 * Characters that end up without a token are spelled with the byte tokens {@code <0xXX>}.
 *
 * <p>A Hugging Face tokenizer.json of this style carries ranked merges instead of scores; then the
 * listed merges apply by rank (lowest first), as the Hugging Face BPE model does.
 */
public final class SentencePieceBpeTokenizer extends AbstractTokenizer {
    static final char SPACE = '\u2581'; // ▁

    private final boolean addSpacePrefix;
    private final MergeTable merges; // null: merge by score
    private final int[] byteToken = new int[256];

    SentencePieceBpeTokenizer(Vocabulary vocab, boolean addSpacePrefix, List<?> merges, String where) {
        super(vocab);
        this.addSpacePrefix = addSpacePrefix;
        this.merges = merges == null ? null : MergeTable.parse(merges, vocab, where);
        for (int b = 0; b < 256; b++) {
            byteToken[b] = vocab.id(byteTokenText(b));
        }
    }

    static String byteTokenText(int b) {
        return String.format("<0x%02X>", b);
    }

    /** The byte a {@code <0xXX>} token stands for, as a one-element array. */
    static byte[] byteTokenValue(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new TokenizerFormatException("byte token '" + text + "' is not spelled <0xXX>");
    }

    public boolean addsSpacePrefix() {
        return addSpacePrefix;
    }

    /** Whether pieces merge by ranked merge rules (tokenizer.json) rather than by token score. */
    public boolean mergesByRank() {
        return merges != null;
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        if (text.isEmpty()) {
            return;
        }
        String escaped = (addSpacePrefix && afterSpecial ? SPACE : "") + text.replace(' ', SPACE);
        if (merges != null) {
            encodeByRank(escaped, out);
        } else {
            encodeByScore(escaped, out);
        }
    }

    private void encodeByRank(String text, IntList out) {
        IntList symbols = new IntList(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String ch = text.substring(i, i + Character.charCount(cp));
            int id = vocab.id(ch);
            if (id >= 0 && vocab.type(id) == TokenType.NORMAL) {
                symbols.add(id);
            } else {
                addBytes(ch, symbols);
            }
            i += ch.length();
        }
        merges.apply(symbols, 0, out);
    }

    private void encodeByScore(String text, IntList out) {
        List<String> sym = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int len = Character.charCount(text.codePointAt(i));
            sym.add(text.substring(i, i + len));
            i += len;
        }
        int n = sym.size();
        String[] piece = sym.toArray(new String[0]);
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // entries: {score, left, right, merged length}; highest score first, then leftmost
        PriorityQueue<Bigram> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, piece, i, i + 1);
        }
        while (!heap.isEmpty()) {
            Bigram b = heap.poll();
            if (piece[b.left].isEmpty() || piece[b.right].isEmpty() || next[b.left] != b.right
                    || piece[b.left].length() + piece[b.right].length() != b.length) {
                continue; // stale: one side has merged with something else since
            }
            piece[b.left] = piece[b.left] + piece[b.right];
            piece[b.right] = "";
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            if (prev[b.left] >= 0) {
                offer(heap, piece, prev[b.left], b.left);
            }
            if (next[b.left] >= 0) {
                offer(heap, piece, b.left, next[b.left]);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            int id = vocab.id(piece[i]);
            if (id >= 0 && vocab.type(id) == TokenType.NORMAL) {
                out.add(id);
            } else {
                addBytes(piece[i], out);
            }
        }
    }

    private record Bigram(float score, int left, int right, int length) implements Comparable<Bigram> {
        @Override
        public int compareTo(Bigram o) {
            int c = Float.compare(o.score, score);
            return c != 0 ? c : Integer.compare(left, o.left);
        }
    }

    private void offer(PriorityQueue<Bigram> heap, String[] piece, int left, int right) {
        String merged = piece[left] + piece[right];
        int id = vocab.id(merged);
        // Only ordinary pieces form by merging: text must not turn into a control token.
        if (id >= 0 && vocab.type(id) == TokenType.NORMAL) {
            heap.add(new Bigram(vocab.score(id), left, right, merged.length()));
        }
    }

    /** Byte fallback: one {@code <0xXX>} token per UTF-8 byte, or the unknown token. */
    private void addBytes(String piece, IntList out) {
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            int id = byteToken[b & 0xFF];
            if (id < 0) {
                id = vocab.unk();
                if (id < 0) {
                    throw new IllegalArgumentException("'" + piece + "' has no token, the vocabulary has no byte token "
                            + byteTokenText(b & 0xFF) + " and no unknown token");
                }
            }
            out.add(id);
        }
    }

    @Override
    public byte[] bytes(int id) {
        String t = vocab.text(id);
        if (vocab.type(id) == TokenType.BYTE) {
            return byteTokenValue(t);
        }
        return t.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean stripsLeadingSpace() {
        return addSpacePrefix;
    }

    @Override
    public Map<String, Object> toGgufMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(GgufTokenizerKeys.MODEL, "llama");
        vocab.putGgufMetadata(m);
        if (merges != null) {
            // llama.cpp merges by score: give each merged piece a score that orders it by its
            // merge rank, and keep the merges so that lte4j reads back the exact rules.
            if (!m.containsKey(GgufTokenizerKeys.SCORES)) {
                List<Float> scores = new ArrayList<>();
                for (int i = 0; i < vocabSize(); i++) {
                    scores.add(-1e9f);
                }
                List<String> texts = merges.texts();
                for (int r = texts.size() - 1; r >= 0; r--) {
                    int id = vocab.id(texts.get(r).replace(" ", ""));
                    if (id >= 0) {
                        scores.set(id, (float) -r);
                    }
                }
                m.put(GgufTokenizerKeys.SCORES, scores);
            }
            m.put(GgufTokenizerKeys.MERGES, merges.texts());
        }
        m.put(GgufTokenizerKeys.ADD_SPACE_PREFIX, addSpacePrefix);
        return m;
    }

    @Override
    public String toString() {
        return "SentencePieceBpeTokenizer[vocab=" + vocabSize() + (merges != null ? ", merges=" + merges.size() : ", by score") + "]";
    }
}
