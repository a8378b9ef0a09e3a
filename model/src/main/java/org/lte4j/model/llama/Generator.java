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
        LlamaState state = model.newState(Math.min(options.maxContext(), prompt.length + options.maxNewTokens()));
        Sampler sampler = new Sampler(options.temperature(), options.topP(), options.seed());
        return GenerationLoop.run(new GenerationLoop.Stepper() {
            @Override
            public int prefill(int[] tokens) {
                return sampler.sample(model.prefill(state, tokens));
            }

            @Override
            public int next(int token) {
                return sampler.sample(model.forward(state, token));
            }

            @Override
            public int length() {
                return state.length();
            }

            @Override
            public int maxContext() {
                return state.maxContext();
            }
        }, prompt, options, onToken);
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
