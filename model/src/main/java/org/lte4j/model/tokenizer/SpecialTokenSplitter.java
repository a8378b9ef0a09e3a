package org.lte4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts text at the written-out form of special tokens, so that they encode to their own ids and
 * never take part in BPE. User-defined tokens are always recognised; control and unknown tokens
 * only when the caller asks (a chat template does, user text must not). At each position the
 * longest token text wins.
 */
final class SpecialTokenSplitter {
    /** One piece of the input: either ordinary text ({@code id < 0}) or one special token. */
    record Fragment(String text, int id) {
        boolean isToken() {
            return id >= 0;
        }
    }

    private final Map<Character, List<Integer>> alwaysByFirstChar = new HashMap<>();
    private final Map<Character, List<Integer>> allByFirstChar = new HashMap<>();
    private final Vocabulary vocab;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
        for (int id : vocab.specialIds()) {
            String t = vocab.text(id);
            if (t.isEmpty()) {
                continue;
            }
            allByFirstChar.computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(id);
            if (vocab.type(id) == TokenType.USER_DEFINED) {
                alwaysByFirstChar.computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(id);
            }
        }
        Comparator<Integer> longestFirst = Comparator.comparingInt((Integer id) -> -vocab.text(id).length())
                .thenComparingInt(id -> id);
        alwaysByFirstChar.values().forEach(l -> l.sort(longestFirst));
        allByFirstChar.values().forEach(l -> l.sort(longestFirst));
    }

    List<Fragment> split(String text, boolean parseControlTokens) {
        Map<Character, List<Integer>> candidates = parseControlTokens ? allByFirstChar : alwaysByFirstChar;
        List<Fragment> out = new ArrayList<>();
        if (candidates.isEmpty()) {
            out.add(new Fragment(text, -1));
            return out;
        }
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            int match = matchAt(text, i, candidates);
            if (match < 0) {
                i++;
                continue;
            }
            if (i > start) {
                out.add(new Fragment(text.substring(start, i), -1));
            }
            out.add(new Fragment(vocab.text(match), match));
            i += vocab.text(match).length();
            start = i;
        }
        if (start < text.length()) {
            out.add(new Fragment(text.substring(start), -1));
        }
        return out;
    }

    private int matchAt(String text, int i, Map<Character, List<Integer>> candidates) {
        List<Integer> list = candidates.get(text.charAt(i));
        if (list == null) {
            return -1;
        }
        for (int id : list) {
            if (text.startsWith(vocab.text(id), i)) {
                return id;
            }
        }
        return -1;
    }
}
