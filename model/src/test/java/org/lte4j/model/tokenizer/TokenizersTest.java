package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

class TokenizersTest {
    static Path fixture(String name) throws URISyntaxException {
        return Path.of(TokenizersTest.class.getResource("/tokenizer/" + name).toURI());
    }

    @Test
    void noTokenizerMeansEmpty() throws Exception {
        assertTrue(Tokenizers.fromGgufMetadata(Map.of("general.architecture", "llama")).isEmpty());
        assertTrue(Tokenizers.fromGgufMetadata(Map.of("tokenizer.ggml.model", "no_vocab")).isEmpty());
        Path folder = fixture("no-tokenizer");
        assertTrue(Tokenizers.fromFolder(folder).isEmpty());
        assertTrue(Tokenizers.whyNone(folder).contains("runs on token ids"), Tokenizers.whyNone(folder));
    }

    @Test
    void unusableMetadataSaysWhichKey() {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class,
                () -> Tokenizers.fromGgufMetadata(Map.of("tokenizer.ggml.model", "bert", "tokenizer.ggml.tokens", List.of("a"))));
        assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
        Map<String, Object> md = new HashMap<>(ByteLevelBpeTokenizerTest.metadata("gpt2"));
        md.put("tokenizer.ggml.merges", List.of("h e", "q zz"));
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.fromGgufMetadata(md));
        assertTrue(e.getMessage().contains("merge 1") && e.getMessage().contains("'zz'"), e.getMessage());
        md.remove("tokenizer.ggml.merges");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.fromGgufMetadata(md));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
    }

    /** Expected ids worked out by hand from the fixture's vocabulary and merges, listed below. */
    @Test
    void huggingFaceLlama3StyleJson() throws Exception {
        ByteLevelBpeTokenizer t = (ByteLevelBpeTokenizer) Tokenizers.fromFolder(fixture("hf-llama3-style")).orElseThrow();
        assertSame(PreTokenizer.LLAMA3, t.preTokenizer());
        // ids 0..255 bytes; 256 "12", 257 "123", 258 "45", 259 "456", 260 "Ġt", 261 "he", 262 "Ġthe",
        // 263 "ou", 264 "you", 265 "re", 266 "'re"; 267 <|begin_of_text|>, 268 <|end_of_text|>, 269 <|eot_id|>
        assertArrayEquals(new int[] {257, 259, '7'}, t.encode("1234567"));
        // " you" is not a token: o+u, then y+ou; Ġ stays alone. "'re" is a whole token (ignore_merges).
        assertArrayEquals(new int[] {262, ' ', 264, 266}, t.encode(" the you're"));
        assertArrayEquals(new int[] {267, 't', 261}, t.encodeWithBos("the"));
        assertArrayEquals(new int[] {267, 'h', 'i', 269}, t.encodeWithSpecialTokens("<|begin_of_text|>hi<|eot_id|>"));
        assertEquals(OptionalInt.of(267), t.bosId());
        assertEquals(OptionalInt.of(269), t.eosId());
        assertTrue(t.addsBosByDefault());
        for (String s : TrickyText.SAMPLES) {
            assertEquals(s, t.decode(t.encode(s)), s);
        }
        Tokenizer viaGguf = Tokenizers.fromGgufMetadata(BpeTrainerTest.asReadFromGguf(t.toGgufMetadata())).orElseThrow();
        assertArrayEquals(t.encode(" the you're 1234567"), viaGguf.encode(" the you're 1234567"));
    }

    @Test
    void huggingFaceSentencePieceStyleJson() throws Exception {
        Tokenizer t = Tokenizers.fromFolder(fixture("hf-sentencepiece-style")).orElseThrow();
        // 0 <unk>, 1 <s>, 2 </s>, 3..258 bytes, 259 ▁, 260 a, 261 b, 262 c, 263 h, 264 e, 265 l, 266 o,
        // merges in rank order: 267 bc, 268 ab, 269 ▁a, 270 he, 271 ll, 272 hell, 273 hello, 274 ▁hello
        assertEquals(TokenType.BYTE, t.tokenType(3));
        assertEquals(TokenType.UNKNOWN, t.tokenType(0));
        // "▁abc": b+c has the lowest rank, then ▁+a; ▁a+bc is no merge
        assertArrayEquals(new int[] {269, 267}, t.encode("abc"));
        assertArrayEquals(new int[] {274}, t.encode("hello"));
        assertArrayEquals(new int[] {259, 3 + 0xC3, 3 + 0xA9}, t.encode("\u00E9"));
        // BOS from the post-processor template; EOS by its well-known text
        assertArrayEquals(new int[] {1, 259, 268, 259, 262}, t.encodeWithBos("ab c"));
        assertEquals("<s>ab c", t.decode(new int[] {1, 259, 268, 259, 262}));
        assertEquals("ab c", t.decode(new int[] {1, 259, 268, 259, 262}, SpecialTokenRendering.OMIT));
        assertEquals(OptionalInt.of(2), t.eosId());
        assertTrue(t.addsBosByDefault());
        for (String s : TrickyText.SAMPLES) {
            assertEquals(s, t.decode(t.encode(s)), s);
        }
        Tokenizer viaGguf = Tokenizers.fromGgufMetadata(t.toGgufMetadata()).orElseThrow();
        assertArrayEquals(t.encode("ab c hello \u00E9"), viaGguf.encode("ab c hello \u00E9"));
    }
}
