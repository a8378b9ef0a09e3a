package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private static List<String> stream(Tokenizer t, int[] ids, SpecialTokenRendering r) {
        StreamingDecoder d = t.streamingDecoder(r);
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(d.next(id));
        }
        out.add(d.flush());
        return out;
    }

    @Test
    void holdsBackSplitCharactersInByteLevelTokens() {
        Tokenizer t = ByteLevelBpeTokenizerTest.gpt2();
        // é = C3 A9, 😀 = F0 9F 98 80; every byte is its own token in this vocabulary
        int[] ids = t.encode("\u00E9\uD83D\uDE00x");
        assertEquals(7, ids.length);
        assertEquals(List.of("", "\u00E9", "", "", "", "\uD83D\uDE00", "x", ""), stream(t, ids, SpecialTokenRendering.AS_TEXT));
    }

    @Test
    void holdsBackSplitCharactersInByteFallbackTokens() {
        Tokenizer t = SentencePieceBpeTokenizerTest.spm();
        int[] ids = t.encode("a\u00E9");
        // ▁ a <0xC3> <0xA9>: the prefix space is dropped, é waits for its second byte
        assertEquals(List.of("", "a", "", "\u00E9", ""), stream(t, ids, SpecialTokenRendering.AS_TEXT));
    }

    @Test
    void everyPrefixOfTheStreamIsValidTextAndTheWholeIsTheDecode() {
        for (Tokenizer t : List.of(ByteLevelBpeTokenizerTest.gpt2(), SentencePieceBpeTokenizerTest.spm())) {
            for (String s : TrickyText.SAMPLES) {
                List<String> parts = stream(t, t.encode(s), SpecialTokenRendering.AS_TEXT);
                for (String p : parts) {
                    assertFalse(p.contains("\uFFFD"), () -> "replacement character while streaming '" + s + "'");
                }
                assertEquals(s, String.join("", parts));
            }
        }
    }

    @Test
    void specialTokensFlushPendingBytesAndCanBeOmitted() {
        Tokenizer t = ByteLevelBpeTokenizerTest.gpt2();
        int[] ids = {0xC3, ByteLevelBpeTokenizerTest.ENDOFTEXT, 'a'};
        assertEquals(List.of("", "\uFFFD<|endoftext|>", "a", ""), stream(t, ids, SpecialTokenRendering.AS_TEXT));
        int[] omitted = {ByteLevelBpeTokenizerTest.ENDOFTEXT, ByteLevelBpeTokenizerTest.EOT, 'a'};
        assertEquals(List.of("", "", "a", ""), stream(t, omitted, SpecialTokenRendering.OMIT));
    }

    @Test
    void completePrefixLength() {
        byte[] euro = "\u20AC".getBytes(StandardCharsets.UTF_8); // E2 82 AC
        assertEquals(0, StreamingDecoder.completePrefixLength(new byte[] {euro[0]}));
        assertEquals(0, StreamingDecoder.completePrefixLength(new byte[] {euro[0], euro[1]}));
        assertEquals(3, StreamingDecoder.completePrefixLength(euro));
        assertEquals(1, StreamingDecoder.completePrefixLength(new byte[] {'a', euro[0], euro[1]}));
        // a stray continuation byte can never complete: it goes out (and becomes U+FFFD)
        assertEquals(2, StreamingDecoder.completePrefixLength(new byte[] {'a', (byte) 0x82}));
        // 0xC0 and 0xF8 can never start a valid sequence: no reason to wait
        assertEquals(1, StreamingDecoder.completePrefixLength(new byte[] {(byte) 0xC0}));
        assertEquals(1, StreamingDecoder.completePrefixLength(new byte[] {(byte) 0xF8}));
    }
}
