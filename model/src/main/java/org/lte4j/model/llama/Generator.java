package org.lte4j.model.llama;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;
import org.lte4j.model.sampling.Sampler;

/**
 * Autoregressive generation over a {@link LlamaModel}: prefill the prompt, then sample and feed
 * back one token at a time, streaming each to a callback, and time both phases.
 */
public final class Generator {
    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /**
     * Generates after {@code prompt} (token ids). {@code onToken} sees each generated token as
     * soon as it is chosen, including a final stop token.
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options, IntConsumer onToken) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        LlamaState state = model.newState(Math.min(options.maxContext(), prompt.length + options.maxNewTokens()));
        if (prompt.length > state.maxContext()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context of "
                    + state.maxContext());
        }
        Sampler sampler = new Sampler(options.temperature(), options.topP(), options.seed());
        long t0 = System.nanoTime();
        float[] logits = model.prefill(state, prompt);
        long promptNanos = System.nanoTime() - t0;
        int[] out = new int[options.maxNewTokens()];
        int n = 0;
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;
        long decodeStart = System.nanoTime();
        while (n < options.maxNewTokens()) {
            int token = sampler.sample(logits);
            out[n++] = token;
            onToken.accept(token);
            if (options.stopTokens().contains(token)) {
                reason = GenerationResult.StopReason.STOP_TOKEN;
                break;
            }
            if (n == options.maxNewTokens()) {
                break;
            }
            if (state.length() >= state.maxContext()) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            logits = model.forward(state, token);
        }
        long decodeNanos = n > 1 ? System.nanoTime() - decodeStart : 0;
        return new GenerationResult(java.util.Arrays.copyOf(out, n), reason, prompt.length, promptNanos, decodeNanos);
    }

    /**
     * The model's end-of-sequence ids: GGUF {@code tokenizer.ggml.eos_token_id} (and
     * {@code tokenizer.ggml.eot_token_id}), or config.json's {@code eos_token_id} (a number or list).
     */
    public static Set<Integer> defaultStopTokens(LlamaModel model) {
        Set<Integer> ids = new HashSet<>();
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "eos_token_id"}) {
            Object v = model.metadata().get(key);
            if (v instanceof Number num) {
                ids.add(num.intValue());
            } else if (v instanceof List<?> list) {
                list.forEach(o -> {
                    if (o instanceof Number num) {
                        ids.add(num.intValue());
                    }
                });
            }
        }
        return ids;
    }
}
