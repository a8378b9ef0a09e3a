package org.lte4j.model.llama;

import java.util.Set;

/**
 * How to generate.
 *
 * @param maxNewTokens tokens to generate at most
 * @param temperature  0 for greedy decoding
 * @param topP         nucleus sampling mass in (0, 1]; 1 disables it
 * @param seed         random seed for sampling
 * @param stopTokens   generation ends after emitting one of these (e.g. end-of-sequence)
 * @param maxContext   KV cache size in tokens (prompt + generated), capped at the model's context
 */
public record GenerationOptions(int maxNewTokens, float temperature, float topP, long seed, Set<Integer> stopTokens,
                                int maxContext) {
    public GenerationOptions {
        stopTokens = Set.copyOf(stopTokens);
        if (maxNewTokens < 0 || maxContext <= 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0 and maxContext > 0");
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, no stop tokens, 2048 tokens of context. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 1, 0, Set.of(), 2048);
    }

    public GenerationOptions withSampling(float temperature, float topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, stopTokens, maxContext);
    }

    public GenerationOptions withStopTokens(Set<Integer> stop) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, stop, maxContext);
    }

    public GenerationOptions withMaxContext(int tokens) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, stopTokens, tokens);
    }
}
