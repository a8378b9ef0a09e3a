package org.lte4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE tokenizer (GGUF model "gpt2") on text.
 *
 * <p>The text is pre-tokenized once and only the distinct chunks with their counts take part.
 * Pair counts are kept up to date incrementally: a merge revisits only the chunks that contain the
 * merged pair, and a heap with stale entries skipped on pop finds the most frequent pair. Ties go
 * to the smaller (left id, right id), so training is deterministic.
 *
 * <p>Vocabulary layout: ids 0..255 are the bytes 0x00..0xFF (byte-level spelling), then merged
 * tokens in merge order, then the special tokens (CONTROL). A merge whose result spells an
 * existing token reuses that id, so no two ids share a spelling.
 */
public final class BpeTrainer {
    /** Called after each new token; {@code total} is the number of tokens to learn. */
    @FunctionalInterface
    public interface Progress {
        void learned(int done, int total);

        Progress NONE = (done, total) -> { };
    }

    /** The default special tokens: the first is BOS, the second EOS. */
    public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of("<|bos|>", "<|eos|>");

    private BpeTrainer() {
    }

    /** Trains with the Llama 3 pre-tokenizer and {@link #DEFAULT_SPECIAL_TOKENS}. */
    public static ByteLevelBpeTokenizer train(String text, int vocabSize, Progress progress) {
        return train(text, vocabSize, PreTokenizer.LLAMA3, DEFAULT_SPECIAL_TOKENS, progress);
    }

    /**
     * @param vocabSize     total ids including the 256 byte tokens and the special tokens; fewer
     *                      come out only if the text runs out of pairs to merge
     * @param specialTokens control tokens appended at the end; the first is BOS, the second EOS
     */
    public static ByteLevelBpeTokenizer train(String text, int vocabSize, PreTokenizer pre,
                                              List<String> specialTokens, Progress progress) {
        int toLearn = vocabSize - 256 - specialTokens.size();
        if (toLearn < 0) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is smaller than 256 byte tokens + "
                    + specialTokens.size() + " special tokens");
        }
        List<String> texts = new ArrayList<>(vocabSize);
        Map<String, Integer> ids = new HashMap<>(vocabSize * 2);
        for (int b = 0; b < 256; b++) {
            String t = String.valueOf(ByteLevel.charOf(b));
            texts.add(t);
            ids.put(t, b);
        }
        List<String> merges = new Counter(pre.split(text)).learn(toLearn, texts, ids, progress);

        List<TokenType> types = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            types.add(TokenType.NORMAL);
        }
        for (String s : specialTokens) {
            if (ids.containsKey(s)) {
                throw new IllegalArgumentException("special token '" + s + "' collides with a learned token");
            }
            ids.put(s, texts.size());
            texts.add(s);
            types.add(TokenType.CONTROL);
        }
        int firstSpecial = texts.size() - specialTokens.size();
        int bos = specialTokens.isEmpty() ? -1 : firstSpecial;
        int eos = specialTokens.size() < 2 ? -1 : firstSpecial + 1;
        Vocabulary vocab = new Vocabulary(texts, types, null, bos, eos, -1, -1, bos >= 0);
        return new ByteLevelBpeTokenizer(vocab, merges, pre, pre == PreTokenizer.LLAMA3, "trained merges");
    }

    /** The distinct chunks as symbol sequences, their counts, and the pair statistics. */
    private static final class Counter {
        private final int[][] words;
        private final long[] freq;
        private final Map<Long, Pair> pairs = new HashMap<>();
        private final PriorityQueue<long[]> heap = new PriorityQueue<>(BpeTrainer::heapOrder);
        private final int[] visited;
        private int stamp;

        /** Per pair: its count over all chunks and the chunks that may contain it (may hold stale or repeated entries). */
        private static final class Pair {
            long count;
            int[] words = new int[4];
            int nWords;

            void addWord(int w) {
                if (nWords > 0 && words[nWords - 1] == w) {
                    return;
                }
                if (nWords == words.length) {
                    words = Arrays.copyOf(words, nWords * 2);
                }
                words[nWords++] = w;
            }
        }

        Counter(List<String> chunks) {
            Map<String, long[]> counts = new HashMap<>();
            for (String c : chunks) {
                counts.computeIfAbsent(c, k -> new long[1])[0]++;
            }
            // Sorted so that the word order, and with it every tie, does not depend on hashing.
            List<String> distinct = new ArrayList<>(counts.keySet());
            distinct.sort(null);
            words = new int[distinct.size()][];
            freq = new long[distinct.size()];
            visited = new int[distinct.size()];
            for (int w = 0; w < words.length; w++) {
                byte[] b = distinct.get(w).getBytes(StandardCharsets.UTF_8);
                int[] s = new int[b.length];
                for (int i = 0; i < b.length; i++) {
                    s[i] = b[i] & 0xFF;
                }
                words[w] = s;
                freq[w] = counts.get(distinct.get(w))[0];
                for (int i = 0; i + 1 < s.length; i++) {
                    Pair p = pairs.computeIfAbsent(MergeTable.key(s[i], s[i + 1]), k -> new Pair());
                    p.count += freq[w];
                    p.addWord(w);
                }
            }
            for (Map.Entry<Long, Pair> e : pairs.entrySet()) {
                push(e.getKey(), e.getValue().count);
            }
        }

        private void push(long key, long count) {
            if (count > 0) {
                heap.add(new long[] {count, key >>> 32, key & 0xFFFFFFFFL});
            }
        }

        List<String> learn(int toLearn, List<String> texts, Map<String, Integer> ids, Progress progress) {
            List<String> merges = new ArrayList<>();
            int learned = 0;
            while (learned < toLearn && !heap.isEmpty()) {
                long[] top = heap.poll();
                int a = (int) top[1], b = (int) top[2];
                long key = MergeTable.key(a, b);
                Pair p = pairs.get(key);
                if (p == null || p.count != top[0]) {
                    continue; // stale entry: the count changed and a fresh entry was pushed
                }
                String merged = texts.get(a) + texts.get(b);
                Integer existing = ids.get(merged);
                int c;
                if (existing != null) {
                    c = existing;
                } else {
                    c = texts.size();
                    texts.add(merged);
                    ids.put(merged, c);
                    learned++;
                    progress.learned(learned, toLearn);
                }
                merges.add(texts.get(a) + " " + texts.get(b));
                apply(a, b, c, p);
            }
            return merges;
        }

        /** Replaces (a, b) by c in every chunk that has it and updates the pair counts by difference. */
        private void apply(int a, int b, int c, Pair merged) {
            stamp++;
            Map<Long, Long> delta = new HashMap<>();
            int[] candidates = Arrays.copyOf(merged.words, merged.nWords);
            for (int w : candidates) {
                if (visited[w] == stamp) {
                    continue;
                }
                visited[w] = stamp;
                int[] s = words[w];
                int[] out = new int[s.length];
                int n = 0;
                for (int i = 0; i < s.length; i++) {
                    if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                        out[n++] = c;
                        i++;
                    } else {
                        out[n++] = s[i];
                    }
                }
                if (n == s.length) {
                    continue; // stale candidate: the pair is no longer in this chunk
                }
                long f = freq[w];
                for (int i = 0; i + 1 < s.length; i++) {
                    delta.merge(MergeTable.key(s[i], s[i + 1]), -f, Long::sum);
                }
                int[] t = Arrays.copyOf(out, n);
                for (int i = 0; i + 1 < n; i++) {
                    long k = MergeTable.key(t[i], t[i + 1]);
                    delta.merge(k, f, Long::sum);
                    if (t[i] == c || t[i + 1] == c) {
                        pairs.computeIfAbsent(k, x -> new Pair()).addWord(w);
                    }
                }
                words[w] = t;
            }
            // Apply in key order so that the heap's content, and so the result, is deterministic.
            List<Long> keys = new ArrayList<>(delta.keySet());
            keys.sort(null);
            for (long k : keys) {
                long d = delta.get(k);
                if (d == 0) {
                    continue;
                }
                Pair p = pairs.computeIfAbsent(k, x -> new Pair());
                p.count += d;
                if (p.count <= 0) {
                    pairs.remove(k);
                } else {
                    push(k, p.count);
                }
            }
        }
    }

    /** Most frequent first; ties to the smaller left id, then the smaller right id. */
    private static int heapOrder(long[] x, long[] y) {
        if (x[0] != y[0]) {
            return Long.compare(y[0], x[0]);
        }
        if (x[1] != y[1]) {
            return Long.compare(x[1], y[1]);
        }
        return Long.compare(x[2], y[2]);
    }
}
