package org.lte4j.model.train;

/**
 * Mean next-token cross-entropy of a model over a token stream, scored in consecutive
 * non-overlapping windows of {@code seq} tokens (each window starts with an empty context), with
 * the FFN sparsity measured on the way.
 */
public final class Perplexity {
    /** Mean NLL (nats per token), its perplexity, the scored tokens and the FFN sparsity. */
    public record Result(double nll, double perplexity, long tokens, double sparsity) {
    }

    private Perplexity() {
    }

    /** Scores at most {@code maxTokens} tokens (all when <= 0). */
    public static Result measure(TrainableLlama model, int[] tokens, int seq, int batch, long maxTokens,
                                 ProgressListener progress) {
        long usable = tokens.length - 1;
        if (maxTokens > 0) usable = Math.min(usable, maxTokens);
        int windows = (int) (usable / seq);
        if (windows == 0) throw new IllegalArgumentException("need at least " + (seq + 1) + " tokens to evaluate");
        double nllSum = 0, sparsitySum = 0;
        long scored = 0;
        long t0 = System.nanoTime();
        for (int w0 = 0; w0 < windows; w0 += batch) {
            int nb = Math.min(batch, windows - w0);
            int[] in = new int[nb * seq], tg = new int[nb * seq];
            for (int b = 0; b < nb; b++) {
                System.arraycopy(tokens, (w0 + b) * seq, in, b * seq, seq);
                System.arraycopy(tokens, (w0 + b) * seq + 1, tg, b * seq, seq);
            }
            StepResult r = model.step(in, tg, nb, seq, LteLoss.NONE, false);
            nllSum += r.taskLoss() * r.tokens();
            sparsitySum += r.sparsity() * r.tokens();
            scored += r.tokens();
            double el = (System.nanoTime() - t0) / 1e9;
            progress.onProgress(String.format("eval %d/%d windows  nll %.4f  %.0f tok/s  ETA %s", w0 + nb, windows,
                    nllSum / scored, scored / el, ProgressListener.duration(el * (windows - w0 - nb) / (w0 + nb))));
        }
        double nll = nllSum / scored;
        return new Result(nll, Math.exp(nll), scored, sparsitySum / scored);
    }
}
