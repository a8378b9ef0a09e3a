package org.lte4j.model.llama;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The autoregressive loop every generator shares: run the prompt, then emit each chosen token,
 * stop at a stop token, at the token budget or at a full context, and time both phases. Where
 * the tokens come from (the JVM model, a device plan, sampling or a device argmax) is the
 * {@link Stepper}'s business.
 */
public final class GenerationLoop {
    private GenerationLoop() {
    }

    /** One sequence's source of tokens. */
    public interface Stepper {
        /** Runs the whole prompt from position 0 and returns the first generated token. */
        int prefill(int[] prompt);

        /** Feeds {@code token} at the next position and returns the token chosen after it. */
        int next(int token);

        /** Positions filled so far. */
        int length();

        /** Positions this sequence may fill. */
        int maxContext();
    }

    public static GenerationResult run(Stepper stepper, int[] prompt, GenerationOptions options, IntConsumer onToken) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (prompt.length > stepper.maxContext()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context of " + stepper.maxContext());
        }
        long t0 = System.nanoTime();
        int token = stepper.prefill(prompt);
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
            if (stepper.length() >= stepper.maxContext()) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            token = stepper.next(token);
        }
        long decodeNanos = n > 1 ? System.nanoTime() - decodeStart : 0;
        return new GenerationResult(Arrays.copyOf(out, n), reason, prompt.length, promptNanos, decodeNanos);
    }
}
