package org.lte4j.model.train;

import java.nio.file.Path;

/**
 * Options of a pretraining run. {@code out} ending in {@code .gguf} is exported as GGUF; any
 * other name is an lte4j checkpoint. A checkpoint for resuming is kept at {@code out + ".ckpt"}.
 *
 * @param tokenizerVocab 256 for one token per byte
 * @param evalTokens     validation tokens scored at the end (and every {@code evalEvery} steps);
 *                       0 for the whole held-out part
 */
public record PretrainOptions(Path data, String preset, int tokenizerVocab, long steps, int batch, int seq,
                              float learningRate, long warmup, float weightDecay, float clipNorm, long seed,
                              int threads, Path out, long checkpointEvery, boolean resume, long evalEvery,
                              long evalTokens) {

    public PretrainOptions {
        if (data == null) throw new IllegalArgumentException("no training data file given");
        if (out == null) throw new IllegalArgumentException("no output path given");
        if (steps <= 0) throw new IllegalArgumentException("steps must be > 0, got " + steps);
        if (batch <= 0) throw new IllegalArgumentException("batch must be > 0, got " + batch);
        if (seq < 0) throw new IllegalArgumentException("seq must be >= 0 (0 = the preset's context), got " + seq);
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
        if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0");
        if (threads <= 0) throw new IllegalArgumentException("threads must be > 0, got " + threads);
    }

    /** Sensible defaults for a preset; change fields with the record's copy-by-constructor. */
    public static PretrainOptions defaults(Path data, String preset, Path out) {
        return new PretrainOptions(data, preset, 256, 2000, 16, 0, 3e-3f, 100, 0.1f, 1.0f, 1234,
                Runtime.getRuntime().availableProcessors(), out, 200, true, 0, 32768);
    }

    public PretrainOptions withSteps(long s) {
        return new PretrainOptions(data, preset, tokenizerVocab, s, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, checkpointEvery, resume, evalEvery, evalTokens);
    }

    public PretrainOptions withBatch(int b, int sequence) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, b, sequence, learningRate, warmup,
                weightDecay, clipNorm, seed, threads, out, checkpointEvery, resume, evalEvery, evalTokens);
    }

    public PretrainOptions withSeed(long s) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, s, threads, out, checkpointEvery, resume, evalEvery, evalTokens);
    }

    public PretrainOptions withThreads(int t) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, t, out, checkpointEvery, resume, evalEvery, evalTokens);
    }

    public PretrainOptions withEval(long every, long tokens) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, checkpointEvery, resume, every, tokens);
    }

    public PretrainOptions withSchedule(float lr, long warm) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, batch, seq, lr, warm, weightDecay,
                clipNorm, seed, threads, out, checkpointEvery, resume, evalEvery, evalTokens);
    }

    public PretrainOptions withCheckpointing(long every, boolean resumeIfPresent) {
        return new PretrainOptions(data, preset, tokenizerVocab, steps, batch, seq, learningRate, warmup,
                weightDecay, clipNorm, seed, threads, out, every, resumeIfPresent, evalEvery, evalTokens);
    }
}
