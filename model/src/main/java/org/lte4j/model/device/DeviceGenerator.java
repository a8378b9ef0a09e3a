package org.lte4j.model.device;

import java.util.Arrays;
import java.util.function.IntConsumer;

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
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        int context = Math.min(model.maxContext(), options.maxContext());
        if (prompt.length > context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context of " + context);
        }
        boolean greedy = options.temperature() == 0;
        Sampler sampler = new Sampler(options.temperature(), options.topP(), options.seed());
        model.reset();
        long t0 = System.nanoTime();
        int token = greedy ? model.prefillGreedy(prompt) : sampler.sample(model.prefill(prompt));
        long promptNanos = System.nanoTime() - t0;
        int[] out = new int[options.maxNewTokens()];
        int n = 0;
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;
        long decodeStart = System.nanoTime();
        while (n < options.maxNewTokens()) {
            out[n++] = token;
            onToken.accept(token);
            if (options.stopTokens().contains(token)) {
                reason = GenerationResult.StopReason.STOP_TOKEN;
                break;
            }
            if (n == options.maxNewTokens()) {
                break;
            }
            if (model.length() >= context) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            token = greedy ? model.forwardGreedy(token) : sampler.sample(model.forward(token));
        }
        long decodeNanos = n > 1 ? System.nanoTime() - decodeStart : 0;
        return new GenerationResult(Arrays.copyOf(out, n), reason, prompt.length, promptNanos, decodeNanos);
    }
}
