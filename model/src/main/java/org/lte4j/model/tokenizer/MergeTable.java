package org.lte4j.model.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * BPE merge rules by rank: the pair (left id, right id) merges into a new id, and among the pairs
 * present the lowest rank merges first (leftmost on ties), as GPT-2 and Hugging Face BPE do.
 */
final class MergeTable {
    private final Map<Long, long[]> rules; // pair -> {rank, merged id}
    private final String[] mergeTexts;     // "left right", in rank order, for export

    private MergeTable(Map<Long, long[]> rules, String[] mergeTexts) {
        this.rules = rules;
        this.mergeTexts = mergeTexts;
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /**
     * Builds the table from merges written as "left right" (GGUF, tokenizer.json) or as
     * two-element lists (newer tokenizer.json).
     *
     * @param where names the source in error messages
     */
    static MergeTable parse(List<?> merges, Vocabulary vocab, String where) {
        Map<Long, long[]> rules = new HashMap<>(merges.size() * 2);
        String[] texts = new String[merges.size()];
        for (int rank = 0; rank < merges.size(); rank++) {
            Object m = merges.get(rank);
            String left, right;
            if (m instanceof String s) {
                int sp = s.indexOf(' ', 1); // a pair's left part is never empty; "▁ ▁" style pieces start at 1
                if (sp < 0) {
                    throw new TokenizerFormatException(where + " merge " + rank + " '" + s + "' is not 'left right'");
                }
                left = s.substring(0, sp);
                right = s.substring(sp + 1);
            } else if (m instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
                left = a;
                right = b;
            } else {
                throw new TokenizerFormatException(where + " merge " + rank + " is neither 'left right' nor [left, right]: " + m);
            }
            int l = vocab.id(left), r = vocab.id(right), merged = vocab.id(left + right);
            if (l < 0 || r < 0 || merged < 0) {
                throw new TokenizerFormatException(where + " merge " + rank + " '" + left + " " + right
                        + "' uses a token missing from the vocabulary: '"
                        + (l < 0 ? left : r < 0 ? right : left + right) + "'");
            }
            rules.putIfAbsent(key(l, r), new long[] {rank, merged});
            texts[rank] = left + " " + right;
        }
        return new MergeTable(rules, texts);
    }

    int size() {
        return mergeTexts.length;
    }

    List<String> texts() {
        return List.of(mergeTexts);
    }

    /**
     * Applies the merges to a sequence of ids in place of the lowest-ranked pair each time.
     * Uses a linked list and a heap of candidate pairs, so a long chunk costs n log n.
     */
    void apply(IntList symbols, int from, IntList out) {
        int n = symbols.size() - from;
        if (n == 1) {
            out.add(symbols.get(from));
            return;
        }
        int[] id = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = symbols.get(from + i);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // heap entries: {rank, left position, left id, right id}; stale ones are skipped on pop
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, id, i, i + 1);
        }
        while (!heap.isEmpty()) {
            long[] e = heap.poll();
            int left = (int) e[1];
            int right = next[left];
            if (id[left] < 0 || right < 0 || id[left] != (int) e[2] || id[right] != (int) e[3]) {
                continue; // one side changed since this pair was queued
            }
            id[left] = (int) rules.get(key(id[left], id[right]))[1];
            id[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offer(heap, id, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(heap, id, left, next[left]);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            out.add(id[i]);
        }
    }

    private void offer(PriorityQueue<long[]> heap, int[] id, int left, int right) {
        long[] rule = rules.get(key(id[left], id[right]));
        if (rule != null) {
            heap.add(new long[] {rule[0], left, id[left], id[right]});
        }
    }
}
