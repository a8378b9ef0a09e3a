package org.lte4j.model.device;

import java.util.function.IntConsumer;

import org.lte4j.model.llama.GenerationLoop;
import org.lte4j.model.llama.GenerationOptions;
import org.lte4j.model.llama.GenerationResult;
import org.lte4j.model.sampling.Sampler;

/**
 * Autoregressive generation on a {@link DeviceLlama}, as {@link org.lte4j.model.llama.Generator}
 * does it on the JVM: prefill the prompt, then choose and feed back one token at a time. Greedy
 * decoding (temperature 0) takes the argmax the device computed, so a step downloads one int;
 * sampling downloads the logits.
 */
public final class DeviceGenerator {
    private final DeviceLlama model;

    public DeviceGenerator(DeviceLlama model) {
        this.model = model;
    }

    /**
     * Generates after {@code prompt}, starting a new sequence. {@code onToken} sees each generated
     * token as soon as it is chosen, including a final stop token. The KV cache is the model's
     * (its {@code maxContext}); {@code options.maxContext()} caps it further.
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options, IntConsumer onToken) {
        int context = Math.min(model.maxContext(), options.maxContext());
        boolean greedy = options.temperature() == 0;
        Sampler sampler = new Sampler(options.temperature(), options.topP(), options.seed());
        model.reset();
        return GenerationLoop.run(new GenerationLoop.Stepper() {
            @Override
            public int prefill(int[] tokens) {
                return greedy ? model.prefillGreedy(tokens) : sampler.sample(model.prefill(tokens));
            }

            @Override
            public int next(int token) {
                return greedy ? model.forwardGreedy(token) : sampler.sample(model.forward(token));
            }

            @Override
            public int length() {
                return model.length();
            }

            @Override
            public int maxContext() {
                return context;
            }
        }, prompt, options, onToken);
    }
}
