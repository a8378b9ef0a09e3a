package org.lte4j.model.llama;

/**
 * What {@link Generator#generate} produced and how fast.
 *
 * @param tokens       the generated tokens (not the prompt), including a final stop token
 * @param promptNanos  time to run the prompt through and get the first logits
 * @param decodeNanos  time of the forward passes for generated tokens (after the first)
 */
public record GenerationResult(int[] tokens, StopReason stopReason, int promptTokens, long promptNanos,
                               long decodeNanos) {
    public enum StopReason { STOP_TOKEN, MAX_TOKENS, CONTEXT_FULL }

    /** Prompt tokens per second (prefill throughput). */
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    /** Generated tokens per second: forward passes of generated tokens over their time. */
    public double generatedTokensPerSecond() {
        int decoded = Math.max(0, tokens.length - 1); // the first token comes from the prompt's logits
        return decodeNanos == 0 ? 0 : decoded * 1e9 / decodeNanos;
    }
}
