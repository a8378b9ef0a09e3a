package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|bos|>", "<|eos|>");

    /**
     * The textbook example "aaabdaaabac", worked by hand. Pair counts: aa 4, ab 2, others 1 ->
     * merge a+a. Then (a,b) 2 and (aa,a) 2 tie; the smaller left id (a=97 < aa=256) wins -> a+b.
     * Then aa+ab (2). Then all pairs count 1: left ids a(97) < d(100) < aaab(258) -> a+c, then d+aaab.
     */
    @Test
    void learnsTheTextbookExampleByHand() {
        ByteLevelBpeTokenizer t = BpeTrainer.train("aaabdaaabac", 256 + 5 + 2, PreTokenizer.GPT2, SPECIALS, BpeTrainer.Progress.NONE);
        assertEquals(List.of("a a", "a b", "aa ab", "a c", "d aaab"), t.merges());
        assertEquals(263, t.vocabSize());
        assertEquals("aaab", t.tokenText(258));
        assertEquals("daaab", t.tokenText(260));
        assertArrayEquals(new int[] {258, 260, 259}, t.encode("aaabdaaabac"));
        assertEquals(OptionalInt.of(261), t.bosId());
        assertEquals(OptionalInt.of(262), t.eosId());
        assertEquals(TokenType.CONTROL, t.tokenType(261));
        assertArrayEquals(new int[] {261, 258, 262}, t.encodeWithSpecialTokens("<|bos|>aaab<|eos|>"));
    }

    @Test
    void stopsWhenNoPairIsLeft() {
        ByteLevelBpeTokenizer t = BpeTrainer.train("ab", 1000, PreTokenizer.GPT2, SPECIALS, BpeTrainer.Progress.NONE);
        assertEquals(256 + 1 + 2, t.vocabSize());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train("ab", 257, BpeTrainer.Progress.NONE));
    }

    @Test
    void shakespeare() throws Exception {
        String text = SharedData.readOrSkip("tinyshakespeare.txt");
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        List<Integer> reported = new ArrayList<>();
        ByteLevelBpeTokenizer a = BpeTrainer.train(text, 1024, (done, total) -> {
            if (done == total) {
                reported.add(done);
            }
        });
        assertEquals(List.of(1024 - 256 - 2), reported);
        assertEquals(1024, a.vocabSize());
        ByteLevelBpeTokenizer b = BpeTrainer.train(text, 1024, BpeTrainer.Progress.NONE);
        assertEquals(a.merges(), b.merges(), "training is deterministic");
        assertEquals(a.toGgufMetadata(), b.toGgufMetadata());

        int[] ids = a.encode(text);
        double bytesPerToken = bytes / (double) ids.length;
        // measured 2.60 at vocab 1024 (and 3.59 at 4096); a broken merge order or table falls far below
        assertTrue(bytesPerToken > 2.4, "compression at vocab 1024: " + bytesPerToken + " bytes per token");
        assertEquals(text, a.decode(ids));

        ByteLevelBpeTokenizer big = BpeTrainer.train(text, 4096, BpeTrainer.Progress.NONE);
        assertEquals(4096, big.vocabSize());
        int[] bigIds = big.encode(text);
        assertTrue(bytes / (double) bigIds.length > 3.3, "compression at vocab 4096: " + bytes / (double) bigIds.length);
        assertEquals(text, big.decode(bigIds));
        for (String s : TrickyText.SAMPLES) {
            assertEquals(s, big.decode(big.encode(s)), s);
        }

        // through GGUF metadata, with the integer types a GGUF reader hands back
        Tokenizer back = Tokenizers.fromGgufMetadata(asReadFromGguf(big.toGgufMetadata())).orElseThrow();
        assertArrayEquals(bigIds, back.encode(text));
        assertEquals(big.bosId(), back.bosId());
        assertEquals(big.eosId(), back.eosId());
        assertTrue(back.addsBosByDefault());
    }

    /** Integers become Long and floats Double, as the GGUF reader's map has them. */
    static Map<String, Object> asReadFromGguf(Map<String, Object> md) {
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, Object> e : md.entrySet()) {
            out.put(e.getKey(), widen(e.getValue()));
        }
        return out;
    }

    private static Object widen(Object v) {
        if (v instanceof Integer i) {
            return (long) i;
        }
        if (v instanceof Float f) {
            return (double) f;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(widen(x));
            }
            return out;
        }
        return v;
    }
}
