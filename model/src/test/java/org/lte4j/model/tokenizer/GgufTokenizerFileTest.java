package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;

/** Tokenizers written into a real GGUF file by the project's writer and read back by its reader. */
class GgufTokenizerFileTest {
    @TempDir
    Path dir;

    private Tokenizer roundTrip(Tokenizer t, String name) throws Exception {
        Path file = dir.resolve(name);
        GgufTokenizerWriter.put(new GgufWriter(), t).write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(GgufValueType.INT32, g.arrayTypeOf("tokenizer.ggml.token_type"));
            assertEquals(GgufValueType.STRING, g.arrayTypeOf("tokenizer.ggml.tokens"));
            return Tokenizers.fromGgufMetadata(g.metadata()).orElseThrow();
        }
    }

    @Test
    void trainedByteLevelTokenizer() throws Exception {
        String text = "To be, or not to be, that is the question: 1234567 you're I'LL \u4F60\u597D \uD83D\uDE00\n\n";
        ByteLevelBpeTokenizer t = BpeTrainer.train(text.repeat(3), 300, BpeTrainer.Progress.NONE);
        Tokenizer back = roundTrip(t, "bpe.gguf");
        for (String s : List.of(text, "question the be", "<|bos|>x<|eos|>")) {
            assertArrayEquals(t.encode(s), back.encode(s), s);
            assertArrayEquals(t.encodeWithSpecialTokens(s), back.encodeWithSpecialTokens(s), s);
        }
        assertEquals(t.bosId(), back.bosId());
        assertEquals(t.eosId(), back.eosId());
        assertEquals(t.vocabSize(), back.vocabSize());
    }

    @Test
    void sentencePieceTokenizerWithScores() throws Exception {
        Tokenizer t = SentencePieceBpeTokenizerTest.spm();
        Tokenizer back = roundTrip(t, "spm.gguf");
        for (String s : TrickyText.SAMPLES) {
            assertArrayEquals(t.encode(s), back.encode(s), s);
        }
    }
}
