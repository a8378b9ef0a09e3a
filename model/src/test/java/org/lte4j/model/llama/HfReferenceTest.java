package org.lte4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.model.json.Json;

/**
 * The JVM forward pass against PyTorch/transformers (scripts/hf_reference.py): logits at every
 * position of a fixed prompt agree to 1e-4 of the largest logit, and greedy decoding picks the
 * same 8 tokens.
 */
class HfReferenceTest {
    static final double TOLERANCE = 1e-4;

    static Path folder(String name) throws Exception {
        return Path.of(HfReferenceTest.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> reference(String name) throws Exception {
        return Json.parseObject(Files.readString(folder(name).resolve("reference.json")));
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
    }

    /** max |a - b| / max |b| over one row of logits. */
    static double relativeError(float[] actual, List<?> expected) {
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = ((Number) expected.get(i)).doubleValue();
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - e));
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        return maxDiff / maxAbs;
    }

    static void assertMatchesReference(LlamaModel model, Map<String, Object> ref, double tolerance) {
        int[] prompt = ints(ref.get("input_ids"));
        List<?> logits = (List<?>) ref.get("logits");
        LlamaState s = model.newState(64);
        for (int t = 0; t < prompt.length; t++) {
            float[] out = model.forward(s, prompt[t]);
            List<?> row = (List<?>) logits.get(t);
            assertEquals(row.size(), out.length);
            double err = relativeError(out, row);
            assertTrue(err < tolerance, "position " + t + ": relative error " + err);
        }
        int[] greedy = ints(ref.get("greedy"));
        LlamaState g = model.newState(64);
        float[] last = model.prefill(g, prompt);
        for (int i = 0; i < greedy.length; i++) {
            int next = argmax(last);
            assertEquals(greedy[i], next, "greedy token " + i);
            last = model.forward(g, next);
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa", "llama3_scaled_tied", "qwen2_bias", "mistral_mqa", "llama_gqa_bf16", "qwen2_fp16"})
    void safetensorsModelMatchesTransformers(String name) throws Exception {
        try (LlamaModel model = LlamaModel.load(folder(name))) {
            assertMatchesReference(model, reference(name), TOLERANCE);
        }
    }
}
