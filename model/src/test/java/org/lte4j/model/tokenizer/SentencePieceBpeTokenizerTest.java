package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A tiny SentencePiece vocabulary with scores, as GGUF "llama" metadata: 0 unk, 1 BOS, 2 EOS,
 * 3..258 byte tokens, then pieces. Expected segmentations are worked out by hand: the adjacent
 * pair whose concatenation has the highest score merges first, the leftmost on ties.
 */
class SentencePieceBpeTokenizerTest {
    static final int UNK = 0, BOS = 1, EOS = 2, SP = 259, A = 260, B = 261, C = 262, H = 263, E = 264, L = 265, O = 266,
            AB = 267, BC = 268, HE = 269, LL = 270, HELL = 271, HELLO = 272, SP_HELLO = 273, LO = 274, AA = 275;

    static int byteToken(int b) {
        return 3 + b;
    }

    static Map<String, Object> metadata() {
        List<Object> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Object> types = new ArrayList<>(List.of(2L, 3L, 3L));
        List<Object> scores = new ArrayList<>(List.of(0.0, 0.0, 0.0));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6L);
            scores.add(0.0);
        }
        Object[][] pieces = {
            {"\u2581", -10.0}, {"a", -10.0}, {"b", -10.0}, {"c", -10.0}, {"h", -10.0}, {"e", -10.0}, {"l", -10.0}, {"o", -10.0},
            {"ab", -3.0}, {"bc", -1.0}, {"he", -2.0}, {"ll", -2.5}, {"hell", -1.5}, {"hello", -1.0},
            {"\u2581hello", -0.5}, {"lo", -4.0}, {"aa", -3.0},
        };
        for (Object[] p : pieces) {
            tokens.add(p[0]);
            types.add(1L);
            scores.add(p[1]); // Double, as a reader may hand over any Number
        }
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "llama");
        m.put("tokenizer.ggml.tokens", tokens);
        m.put("tokenizer.ggml.token_type", types);
        m.put("tokenizer.ggml.scores", scores);
        m.put("tokenizer.ggml.bos_token_id", 1L);
        m.put("tokenizer.ggml.eos_token_id", 2L);
        m.put("tokenizer.ggml.unknown_token_id", 0L);
        m.put("tokenizer.ggml.add_bos_token", true);
        return m;
    }

    static Tokenizer spm() {
        return Tokenizers.fromGgufMetadata(metadata()).orElseThrow();
    }

    @Test
    void highestScoreMergesFirst() {
        Tokenizer t = spm();
        // "▁abc": bc (-1) beats ab (-3); then "abc" and "▁a" are not pieces
        assertArrayEquals(new int[] {SP, A, BC}, t.encode("abc"));
        // "▁hello": he, then ll, then hell, hello, ▁hello; lo (-4) never gets its chance
        assertArrayEquals(new int[] {SP_HELLO}, t.encode("hello"));
        // "▁aaa": both a-a pairs score the same, the leftmost merges
        assertArrayEquals(new int[] {SP, AA, A}, t.encode("aaa"));
        // spaces become ▁ pieces
        assertArrayEquals(new int[] {SP, A, SP, B}, t.encode("a b"));
    }

    @Test
    void charactersOutsideTheVocabularyFallBackToBytes() {
        Tokenizer t = spm();
        assertArrayEquals(new int[] {SP, byteToken(0xC3), byteToken(0xA9)}, t.encode("\u00E9"));
        // a 4-byte emoji: F0 9F 98 80
        assertArrayEquals(new int[] {SP, A, byteToken(0xF0), byteToken(0x9F), byteToken(0x98), byteToken(0x80)},
                t.encode("a\uD83D\uDE00"));
        assertEquals("a\uD83D\uDE00", t.decode(t.encode("a\uD83D\uDE00")));
    }

    @Test
    void bosAndTheSpacePrefix() {
        Tokenizer t = spm();
        assertTrue(t.addsBosByDefault());
        assertArrayEquals(new int[] {BOS, SP_HELLO}, t.encodeWithBos("hello"));
        assertEquals("<s>hello", t.decode(new int[] {BOS, SP_HELLO}));
        assertEquals("hello", t.decode(new int[] {BOS, SP_HELLO}, SpecialTokenRendering.OMIT));
        // the prefix space is dropped once; a space the text had survives
        assertEquals(" hello", t.decode(t.encode(" hello")));
    }

    @Test
    void controlTokensInTextOnlyWhenAsked() {
        Tokenizer t = spm();
        // after a control token the text gets the space prefix again, as llama.cpp does
        assertArrayEquals(new int[] {BOS, SP_HELLO, EOS}, t.encodeWithSpecialTokens("<s>hello</s>"));
        assertEquals("<s>hello</s>", t.decode(new int[] {BOS, SP_HELLO, EOS}));
        int[] literal = t.encode("<s>");
        assertFalse(ByteLevelBpeTokenizerTest.contains(literal, BOS));
        assertEquals("<s>", t.decode(literal));
    }

    @Test
    void anyTextRoundTrips() {
        Tokenizer t = spm();
        for (String s : TrickyText.SAMPLES) {
            assertEquals(s, t.decode(t.encode(s)), "round trip of '" + s + "'");
        }
    }

    @Test
    void ggufMetadataRoundTrips() {
        Tokenizer t = spm();
        Tokenizer back = Tokenizers.fromGgufMetadata(t.toGgufMetadata()).orElseThrow();
        for (String s : TrickyText.SAMPLES) {
            assertArrayEquals(t.encode(s), back.encode(s), s);
        }
        assertEquals(true, back.toGgufMetadata().get("tokenizer.ggml.add_space_prefix"));
    }

    @Test
    void withoutSpacePrefix() {
        Map<String, Object> m = metadata();
        m.put("tokenizer.ggml.add_space_prefix", false);
        Tokenizer t = Tokenizers.fromGgufMetadata(m).orElseThrow();
        assertArrayEquals(new int[] {HELLO}, t.encode("hello"));
        assertEquals(" hello", t.decode(new int[] {SP_HELLO}));
    }
}
