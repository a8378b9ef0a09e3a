package org.lte4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The token table shared by every tokenizer kind: texts, types, optional scores, and the ids of
 * BOS/EOS/end-of-turn/unknown tokens. Immutable.
 */
final class Vocabulary {
    private final String[] texts;
    private final TokenType[] types;
    private final float[] scores; // null when the vocabulary has none
    private final Map<String, Integer> ids;
    private final int bos, eos, eot, unk; // -1 when absent
    private final boolean addBos;
    private final List<Integer> specialIds;

    Vocabulary(List<String> texts, List<TokenType> types, float[] scores,
               int bos, int eos, int eot, int unk, boolean addBos) {
        int n = texts.size();
        if (n == 0) {
            throw new TokenizerFormatException("the vocabulary is empty");
        }
        if (types.size() != n) {
            throw new TokenizerFormatException("token_type has " + types.size() + " entries but tokens has " + n);
        }
        if (scores != null && scores.length != n) {
            throw new TokenizerFormatException("scores has " + scores.length + " entries but tokens has " + n);
        }
        this.texts = texts.toArray(new String[0]);
        this.types = types.toArray(new TokenType[0]);
        this.scores = scores;
        this.ids = new HashMap<>(n * 2);
        List<Integer> special = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (this.texts[i] == null) {
                throw new TokenizerFormatException("token " + i + " has no text");
            }
            ids.putIfAbsent(this.texts[i], i); // duplicates: the first id wins, as in llama.cpp
            if (this.types[i].isSpecial()) {
                special.add(i);
            }
        }
        this.bos = checkOptionalId(bos, "bos");
        this.eos = checkOptionalId(eos, "eos");
        this.eot = checkOptionalId(eot, "eot");
        this.unk = checkOptionalId(unk, "unknown");
        this.addBos = addBos;
        this.specialIds = Collections.unmodifiableList(special);
    }

    private int checkOptionalId(int id, String what) {
        if (id >= texts.length) {
            throw new TokenizerFormatException(what + " token id " + id + " is outside the vocabulary of " + texts.length);
        }
        return id < 0 ? -1 : id;
    }

    int size() {
        return texts.length;
    }

    void checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + texts.length);
        }
    }

    String text(int id) {
        checkId(id);
        return texts[id];
    }

    TokenType type(int id) {
        checkId(id);
        return types[id];
    }

    float score(int id) {
        return scores == null ? 0f : scores[id];
    }

    boolean hasScores() {
        return scores != null;
    }

    /** The id of a token text, or -1. */
    int id(String text) {
        Integer i = ids.get(text);
        return i == null ? -1 : i;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    int unk() {
        return unk;
    }

    boolean addBos() {
        return addBos;
    }

    static OptionalInt optional(int id) {
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    int[] endOfGenerationIds() {
        if (eos < 0 && eot < 0) {
            return new int[0];
        }
        if (eos < 0 || eot < 0 || eos == eot) {
            return new int[] {Math.max(eos, eot)};
        }
        return new int[] {eos, eot};
    }

    OptionalInt specialId(String text) {
        int id = id(text);
        return id >= 0 && types[id].isSpecial() ? OptionalInt.of(id) : OptionalInt.empty();
    }

    List<Integer> specialIds() {
        return specialIds;
    }

    List<String> specialTexts() {
        List<String> out = new ArrayList<>(specialIds.size());
        for (int id : specialIds) {
            out.add(texts[id]);
        }
        return out;
    }

    /** GGUF metadata shared by all kinds: tokens, token_type, optional scores, special ids. */
    void putGgufMetadata(Map<String, Object> m) {
        List<String> tokenList = new ArrayList<>(texts.length);
        List<Integer> typeList = new ArrayList<>(texts.length);
        for (int i = 0; i < texts.length; i++) {
            tokenList.add(texts[i]);
            typeList.add(types[i].code());
        }
        m.put(GgufTokenizerKeys.TOKENS, tokenList);
        m.put(GgufTokenizerKeys.TOKEN_TYPE, typeList);
        if (scores != null) {
            List<Float> s = new ArrayList<>(scores.length);
            for (float f : scores) {
                s.add(f);
            }
            m.put(GgufTokenizerKeys.SCORES, s);
        }
        if (bos >= 0) {
            m.put(GgufTokenizerKeys.BOS_ID, bos);
        }
        if (eos >= 0) {
            m.put(GgufTokenizerKeys.EOS_ID, eos);
        }
        if (eot >= 0) {
            m.put(GgufTokenizerKeys.EOT_ID, eot);
        }
        if (unk >= 0) {
            m.put(GgufTokenizerKeys.UNK_ID, unk);
        }
        m.put(GgufTokenizerKeys.ADD_BOS, addBos);
        m.put(GgufTokenizerKeys.ADD_EOS, false);
    }
}
