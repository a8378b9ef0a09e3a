package org.lte4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.sparse.ExpertRouter;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.sparse.LteSettings;
import org.lte4j.model.sparse.SparsityRecorder;
import org.lte4j.model.tensor.GgmlType;

/**
 * Batched {@link LlamaModel#prefill} against the same prompt run token by token through
 * {@link LlamaModel#forward}: the last logits, the greedy tokens after them (which read the KV
 * cache the batches wrote) and their logits agree to 1e-5 of the largest logit. Prompts span
 * several batches and end in a partial one.
 */
class PrefillBatchTest {
    static final double TOLERANCE = 1e-5;
    static final int PROMPT = 37;   // two batches of 16 and a partial one; seven of 5 and a partial one
    static final int GREEDY = 4;

    @TempDir
    static Path dir;

    static int[] prompt(int vocab, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[PROMPT];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(vocab);
        }
        return tokens;
    }

    /** The last prompt logits and then each greedy token's logits, run one token at a time. */
    static List<float[]> tokenByToken(LlamaModel m, int[] prompt) {
        LlamaState s = m.newState(PROMPT + GREEDY + 1);
        float[] last = null;
        for (int token : prompt) {
            last = m.forward(s, token);
        }
        return greedy(m, s, last);
    }

    static List<float[]> greedy(LlamaModel m, LlamaState s, float[] last) {
        List<float[]> rows = new ArrayList<>();
        rows.add(last.clone());
        for (int i = 0; i < GREEDY; i++) {
            rows.add(m.forward(s, HfReferenceTest.argmax(last)).clone());
            last = rows.getLast();
        }
        return rows;
    }

    static void assertSameRun(List<float[]> expected, List<float[]> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i), a = actual.get(i);
            String row = what + (i == 0 ? ": last prompt logits" : ": logits after greedy token " + i);
            assertEquals(HfReferenceTest.argmax(e), HfReferenceTest.argmax(a), row + " (argmax)");
            double diff = 0, scale = 0;
            for (int j = 0; j < e.length; j++) {
                diff = Math.max(diff, Math.abs(a[j] - e[j]));
                scale = Math.max(scale, Math.abs(e[j]));
            }
            assertTrue(diff <= TOLERANCE * scale, row + ": relative error " + diff / scale);
        }
    }

    static void assertBatchedPrefillMatches(LlamaModel m, String name) {
        int[] prompt = prompt(m.config().vocabSize(), name.hashCode());
        List<float[]> expected = tokenByToken(m, prompt);
        for (int batch : new int[] {LlamaModel.PREFILL_BATCH, 5, PROMPT}) {
            LlamaState s = m.newState(PROMPT + GREEDY + 1);
            float[] last = m.prefill(s, prompt, batch);
            assertEquals(PROMPT, s.length());
            assertSameRun(expected, greedy(m, s, last), name + " batch " + batch);
        }
        LlamaState s = m.newState(PROMPT + GREEDY + 1);
        assertSame(s.logits, m.prefill(s, prompt)); // the default batch returns the state's buffer
        assertSameRun(expected, greedy(m, s, s.logits), name + " default batch");
        // a prompt continued after earlier tokens: batches at positions that do not start at 0
        LlamaState split = m.newState(PROMPT + GREEDY + 1);
        m.prefill(split, java.util.Arrays.copyOf(prompt, 11), 4);
        float[] last = m.prefill(split, java.util.Arrays.copyOfRange(prompt, 11, PROMPT), 7);
        assertSameRun(expected, greedy(m, split, last), name + " prefill after 11 tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa", "llama3_scaled_tied", "qwen2_bias", "mistral_mqa", "llama_gqa_bf16", "qwen2_fp16"})
    void safetensorsModels(String name) throws Exception {
        try (LlamaModel m = LlamaModel.load(HfReferenceTest.folder(name))) {
            assertBatchedPrefillMatches(m, name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0"})
    void ggufConversions(String type) throws Exception {
        for (String name : new String[] {"llama_gqa", "qwen2_bias"}) {
            Path gguf = dir.resolve(name + "-" + type + ".gguf");
            HfToGguf.convert(HfReferenceTest.folder(name), gguf, GgmlType.valueOf(type));
            try (LlamaModel m = LlamaModel.load(gguf)) {
                assertBatchedPrefillMatches(m, name + " " + type);
            }
        }
    }

    @Test
    void promptThatOverflowsTheContextIsRejectedBeforeRunning() throws Exception {
        try (LlamaModel m = LlamaModel.load(HfReferenceTest.folder("llama_gqa"))) {
            LlamaState s = m.newState(PROMPT - 1);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.prefill(s, prompt(m.config().vocabSize(), 1)));
            assertTrue(e.getMessage().contains("context full"), e.getMessage());
            assertEquals(0, s.length());
            int[] bad = prompt(m.config().vocabSize(), 2);
            bad[20] = m.config().vocabSize();
            LlamaState t = m.newState(PROMPT);
            assertThrows(IllegalArgumentException.class, () -> m.prefill(t, bad));
            assertEquals(0, t.length());
        }
    }

    /** The sparse FFN records one row per position, in forward's order, whatever prefill does. */
    @Test
    void lteModelPrefillRecordsOneSparsityRowPerPosition() throws Exception {
        Path gguf = dir.resolve("llama_gqa-lte.gguf");
        HfToGguf.convert(HfReferenceTest.folder("llama_gqa"), gguf, GgmlType.F32);
        try (LlamaModel base = LlamaModel.load(gguf)) {
            LlamaConfig c = base.config();
            LteSettings settings = new LteSettings(32, 0.5f);
            int experts = c.hiddenDim() / 32;
            SplittableRandom random = new SplittableRandom(7);
            List<ExpertRouter> routers = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                float[] w = new float[experts * c.dim()];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) random.nextGaussian();
                }
                routers.add(new ExpertRouter(w, experts, c.dim()));
            }
            LteModel lte = new LteModel(base, settings, routers);
            int[] prompt = prompt(c.vocabSize(), 3);
            List<float[]> expected = tokenByToken(lte, prompt);
            SparsityRecorder perToken = lte.recorder().copyFrom(0);
            lte.recorder().clear();
            LlamaState s = lte.newState(PROMPT + GREEDY + 1);
            List<float[]> actual = greedy(lte, s, lte.prefill(s, prompt));
            assertSameRun(expected, actual, "LteModel");
            SparsityRecorder batched = lte.recorder();
            assertEquals(PROMPT + GREEDY, batched.tokens());
            assertEquals(perToken.tokens(), batched.tokens());
            boolean someSkipped = false;
            for (int t = 0; t < batched.tokens(); t++) {
                for (int l = 0; l < c.nLayers(); l++) {
                    assertTrue(batched.has(t, l), "position " + t + " layer " + l);
                    assertEquals(perToken.skippedNeurons(t, l), batched.skippedNeurons(t, l), "position " + t + " layer " + l);
                    someSkipped |= batched.skippedNeurons(t, l) > 0;
                }
            }
            assertTrue(someSkipped, "random routers should turn some experts off");
        }
    }
}
