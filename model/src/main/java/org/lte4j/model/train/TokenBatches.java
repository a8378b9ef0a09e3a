package org.lte4j.model.train;

import java.util.SplittableRandom;

/**
 * Random training windows from a token stream. The windows of step s depend only on (seed, s),
 * so a resumed run sees the same batches as an uninterrupted one.
 */
public final class TokenBatches {
    private final int[] tokens;
    private final int batch, seq;
    private final long seed;

    public TokenBatches(int[] tokens, int batch, int seq, long seed) {
        if (tokens.length < seq + 2) {
            throw new IllegalArgumentException("training text has " + tokens.length + " tokens; need more than "
                    + (seq + 1) + " for one window");
        }
        this.tokens = tokens;
        this.batch = batch;
        this.seq = seq;
        this.seed = seed;
    }

    public int batch() {
        return batch;
    }

    public int seq() {
        return seq;
    }

    /** Fills inputs and targets ({@code batch * seq} each) for step {@code step}. */
    public void fill(long step, int[] inputs, int[] targets) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        for (int b = 0; b < batch; b++) {
            int start = rnd.nextInt(tokens.length - seq - 1);
            System.arraycopy(tokens, start, inputs, b * seq, seq);
            System.arraycopy(tokens, start + 1, targets, b * seq, seq);
        }
    }
}
