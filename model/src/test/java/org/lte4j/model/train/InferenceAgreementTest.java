package org.lte4j.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;

/**
 * The GGUF this package exports, loaded by the JVM inference engine (org.lte4j.model.llama),
 * gives the same logits as the training forward pass: same tensor layout, RoPE convention
 * (interleaved pairs), GQA grouping and norms.
 */
class InferenceAgreementTest {
    @TempDir
    Path dir;

    private void agree(LlamaWeights w, String file) throws Exception {
        Path path = dir.resolve(file);
        GgufExport.write(path, w, new ByteTokenizer());
        int seq = 12;
        SplittableRandom rnd = new SplittableRandom(8);
        int[] tokens = new int[seq];
        for (int i = 0; i < seq; i++) tokens[i] = rnd.nextInt(256);
        float[] train;
        try (Parallel par = new Parallel(2)) {
            TrainableLlama m = new TrainableLlama(w, par);
            m.step(tokens, tokens, 1, seq, LteLoss.NONE, false);
            train = m.logits().clone();
        }
        int vocab = w.config().vocabSize();
        try (LlamaModel inf = LlamaModel.load(path)) {
            LlamaState s = inf.newState(seq);
            double maxDiff = 0, maxAbs = 0;
            for (int t = 0; t < seq; t++) {
                float[] logits = inf.forward(s, tokens[t]);
                assertEquals(vocab, logits.length);
                for (int v = 0; v < vocab; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(logits[v] - train[t * vocab + v]));
                    maxAbs = Math.max(maxAbs, Math.abs(train[t * vocab + v]));
                }
            }
            assertTrue(maxAbs > 0.5, "logits too small to compare: " + maxAbs);
            assertTrue(maxDiff <= 1e-4 * maxAbs, "max logit difference " + maxDiff + " (max |logit| " + maxAbs + ")");
        }
    }

    private static LlamaWeights model(boolean tied, long seed) {
        LlamaConfig c = new LlamaConfig(256, 64, 2, 4, 2, 96, 16, 10000f, 1e-5f, tied);
        LlamaWeights w = LlamaWeights.initialize(c, seed);
        // larger than the 0.02 init so attention and RoPE visibly shape the logits
        for (Parameter p : w.all()) {
            float scale = p.isVector() ? 1f : 8f;
            for (int i = 0; i < p.data().length; i++) {
                p.data()[i] = p.isVector() ? 0.7f + 0.01f * (i % 50) : p.data()[i] * scale;
            }
        }
        return w;
    }

    @Test
    void tiedEmbeddingModelMatchesJvmInference() throws Exception {
        agree(model(true, 1), "tied.gguf");
    }

    @Test
    void separateOutputHeadMatchesJvmInference() throws Exception {
        agree(model(false, 2), "untied.gguf");
    }

    @Test
    void lteFileStillLoadsAsTheDenseModel() throws Exception {
        LlamaWeights w = model(true, 3);
        w.addRouters(new LteSpec(32, 0.5f), 3);
        agree(w, "lte.gguf");
    }
}
