package org.lte4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    @Test
    void greedyGenerationStreamsTheReferenceTokens() throws Exception {
        Map<String, Object> ref = HfReferenceTest.reference("qwen2_bias");
        try (LlamaModel m = LlamaModel.load(HfReferenceTest.folder("qwen2_bias"))) {
            List<Integer> streamed = new ArrayList<>();
            GenerationResult r = new Generator(m).generate(HfReferenceTest.ints(ref.get("input_ids")),
                    GenerationOptions.greedy(8), streamed::add);
            assertArrayEquals(HfReferenceTest.ints(ref.get("greedy")), r.tokens());
            assertEquals(List.of(r.tokens()[0], r.tokens()[1], r.tokens()[2], r.tokens()[3], r.tokens()[4],
                    r.tokens()[5], r.tokens()[6], r.tokens()[7]), streamed);
            assertEquals(GenerationResult.StopReason.MAX_TOKENS, r.stopReason());
            assertEquals(12, r.promptTokens());
            assertTrue(r.promptTokensPerSecond() > 0 && r.generatedTokensPerSecond() > 0);
        }
    }

    @Test
    void stopTokenEndsGenerationAndContextLimitIsHonoured() throws Exception {
        Map<String, Object> ref = HfReferenceTest.reference("llama_gqa");
        int[] greedy = HfReferenceTest.ints(ref.get("greedy"));
        int[] prompt = HfReferenceTest.ints(ref.get("input_ids"));
        try (LlamaModel m = LlamaModel.load(HfReferenceTest.folder("llama_gqa"))) {
            GenerationResult r = new Generator(m).generate(prompt,
                    GenerationOptions.greedy(8).withStopTokens(Set.of(greedy[2])), t -> { });
            assertArrayEquals(new int[] {greedy[0], greedy[1], greedy[2]}, r.tokens());
            assertEquals(GenerationResult.StopReason.STOP_TOKEN, r.stopReason());
            r = new Generator(m).generate(prompt, GenerationOptions.greedy(8).withMaxContext(prompt.length + 3), t -> { });
            assertEquals(GenerationResult.StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(4, r.tokens().length, "the last token fits as output though not in the cache");
            assertEquals(Set.of(2), Generator.defaultStopTokens(m)); // config.json eos_token_id
        }
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        try (LlamaModel m = LlamaModel.load(HfReferenceTest.folder("mistral_mqa"))) {
            GenerationOptions o = GenerationOptions.greedy(12).withSampling(1.2f, 0.9f, 99);
            int[] prompt = {5, 6, 7};
            int[] a = new Generator(m).generate(prompt, o, t -> { }).tokens();
            int[] b = new Generator(m).generate(prompt, o, t -> { }).tokens();
            int[] g = new Generator(m).generate(prompt, GenerationOptions.greedy(12), t -> { }).tokens();
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, g), "sampling at T=1.2 should leave the greedy path");
        }
    }
}
