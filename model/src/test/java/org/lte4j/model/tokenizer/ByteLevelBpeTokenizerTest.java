package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

/**
 * A hand-made byte-level vocabulary in GGUF form: ids 0..255 are the bytes in byte order (spelled
 * with GPT-2's mapping, whose values are checked below against the published table), then ten
 * merges, then special tokens. Expected ids are worked out by hand from the merge ranks.
 */
class ByteLevelBpeTokenizerTest {
    static final int HE = 256, LL = 257, G_W = 258, HELL = 259, HELLO = 260, OR = 261, G_WOR = 262, LD = 263,
            G_WORLD = 264, EL = 265, ENDOFTEXT = 266, EOT = 267, TOOL = 268, AB = 269;

    /** GPT-2's spelling of a byte, from its definition: printable Latin-1 stays, the rest moves to U+0100+. */
    static String spell(int b) {
        boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) {
            return String.valueOf((char) b);
        }
        int n = 0;
        for (int x = 0; x < b; x++) {
            boolean p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (!p) {
                n++;
            }
        }
        return String.valueOf((char) (256 + n));
    }

    static Map<String, Object> metadata(String pre) {
        List<Object> tokens = new ArrayList<>();
        List<Object> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(spell(b));
            types.add(1L);
        }
        for (String t : List.of("he", "ll", "Ġw", "hell", "hello", "or", "Ġwor", "ld", "Ġworld", "el")) {
            tokens.add(t);
            types.add(1L);
        }
        tokens.add("<|endoftext|>");
        types.add(3L);
        tokens.add("<|eot_id|>");
        types.add(3L);
        tokens.add("<tool>");
        types.add(4L);
        tokens.add("ab"); // a token no merge produces: only reachable with ignore_merges
        types.add(1L);
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", pre);
        m.put("tokenizer.ggml.tokens", tokens);
        m.put("tokenizer.ggml.token_type", types);
        m.put("tokenizer.ggml.merges", List.<Object>of("h e", "l l", "Ġ w", "he ll", "hell o", "o r", "Ġw or", "l d", "Ġwor ld", "e l"));
        m.put("tokenizer.ggml.eos_token_id", (long) ENDOFTEXT);
        return m;
    }

    static Tokenizer gpt2() {
        return Tokenizers.fromGgufMetadata(metadata("gpt2")).orElseThrow();
    }

    @Test
    void byteMappingMatchesGpt2Table() {
        assertEquals("\u0120", spell(' ')); // Ġ
        assertEquals("\u010A", spell('\n')); // Ċ
        assertEquals("\u0100", spell(0));
        assertEquals("\u0121", spell(0x7F));
        assertEquals("\u0143", spell(0xAD)); // Ń, soft hyphen
        for (int b = 0; b < 256; b++) {
            assertEquals(spell(b), String.valueOf(ByteLevel.charOf(b)), "byte " + b);
            assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        }
    }

    @Test
    void mergesApplyByRankNotLeftToRight() {
        Tokenizer t = gpt2();
        assertArrayEquals(new int[] {HELLO, G_WORLD}, t.encode("hello world"));
        assertArrayEquals(new int[] {HELLO, '!'}, t.encode("hello!"));
        // e l (rank 9) is left of l l (rank 1): l l merges first and e cannot join it
        assertArrayEquals(new int[] {'e', LL, 'o'}, t.encode("ello"));
        assertArrayEquals(new int[] {HE, 'l'}, t.encode("hel"));
        // equal ranks: the leftmost pair merges first
        assertArrayEquals(new int[] {LL, 'l'}, t.encode("lll"));
        assertArrayEquals(new int[] {0xC3, 0xA9}, t.encode("\u00E9"));
        assertArrayEquals(new int[] {'\n', ' ', '\t'}, t.encode("\n \t"));
    }

    @Test
    void ignoreMergesUsesWholeChunkTokensForLlama3() {
        assertArrayEquals(new int[] {'a', 'b'}, gpt2().encode("ab"));
        Tokenizer llama3 = Tokenizers.fromGgufMetadata(metadata("llama-bpe")).orElseThrow();
        assertArrayEquals(new int[] {AB}, llama3.encode("ab"));
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() {
        Tokenizer t = gpt2();
        int[] literal = t.encode("hello<|endoftext|>");
        assertEquals(HELLO, literal[0]);
        assertFalse(contains(literal, ENDOFTEXT));
        assertEquals("hello<|endoftext|>", t.decode(literal));
        assertArrayEquals(new int[] {HELLO, ENDOFTEXT}, t.encodeWithSpecialTokens("hello<|endoftext|>"));
        assertEquals("hello<|endoftext|>", t.decode(new int[] {HELLO, ENDOFTEXT}));
        assertEquals("hello", t.decode(new int[] {HELLO, ENDOFTEXT}, SpecialTokenRendering.OMIT));
        // user-defined tokens are always matched and always decoded
        assertArrayEquals(new int[] {'a', TOOL, 'b'}, t.encode("a<tool>b"));
        assertEquals("a<tool>b", t.decode(new int[] {'a', TOOL, 'b'}, SpecialTokenRendering.OMIT));
        assertEquals(OptionalInt.of(EOT), t.specialTokenId("<|eot_id|>"));
        assertEquals(OptionalInt.empty(), t.specialTokenId("hello"));
        assertEquals(List.of("<|endoftext|>", "<|eot_id|>", "<tool>"), t.specialTokens());
        // EOS from the file, end-of-turn recognised by its text
        assertArrayEquals(new int[] {ENDOFTEXT, EOT}, t.endOfGenerationIds());
    }

    @Test
    void anyTextRoundTrips() {
        Tokenizer t = gpt2();
        for (String s : TrickyText.SAMPLES) {
            assertEquals(s, t.decode(t.encode(s)), "round trip of '" + s + "'");
        }
    }

    @Test
    void ggufMetadataRoundTrips() {
        Tokenizer t = gpt2();
        Map<String, Object> md = t.toGgufMetadata();
        assertEquals("gpt2", md.get("tokenizer.ggml.model"));
        assertEquals("gpt2", md.get("tokenizer.ggml.pre"));
        Tokenizer back = Tokenizers.fromGgufMetadata(md).orElseThrow();
        for (String s : TrickyText.SAMPLES) {
            assertArrayEquals(t.encode(s), back.encode(s), s);
        }
        assertEquals(t.eosId(), back.eosId());
    }

    static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
