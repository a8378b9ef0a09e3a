package org.lte4j.model.train;

import java.nio.file.Files;
import java.nio.file.Path;
import org.lte4j.model.tokenizer.BpeTrainer;

/**
 * Pretrains a dense Llama from scratch on a text file: the last 10% of the text is held out for
 * validation; AdamW with warm-up and cosine decay; checkpoints for resuming; deterministic for a
 * seed (and independent of the thread count).
 */
public final class Pretrain {
    private Pretrain() {
    }

    public static TrainResult run(PretrainOptions o, ProgressListener progress) {
        long t0 = System.nanoTime();
        TextData data = TextData.load(o.data());
        TextTokenizer tokenizer = tokenizer(o.tokenizerVocab(), data.train(), progress);
        if (!(tokenizer instanceof ByteTokenizer) && !ModelIO.isGguf(o.out())) {
            throw new IllegalArgumentException("a BPE model must be saved as .gguf (the tokenizer travels in it): " + o.out());
        }
        int[] train = tokenizer.encode(data.train());
        int[] valid = tokenizer.encode(data.validation());
        LlamaConfig config = ModelPreset.parse(o.preset()).config(tokenizer.vocabSize());
        int seq = o.seq() == 0 ? config.contextLength() : o.seq();
        if (seq > config.contextLength()) {
            throw new IllegalArgumentException("seq " + seq + " > the preset's context " + config.contextLength());
        }
        progress.onProgress(String.format("pretrain %s: %,d parameters, %,d train / %,d validation tokens, %d threads",
                o.preset(), config.parameterCount(), train.length, valid.length, o.threads()));

        Path ckpt = o.out().resolveSibling(o.out().getFileName() + ".ckpt");
        LlamaWeights weights;
        long start = 0;
        Checkpoint.State resumed = null;
        if (o.resume() && Files.exists(ckpt)) {
            resumed = Checkpoint.load(ckpt);
            if (!resumed.weights().config().equals(config)) {
                throw new IllegalArgumentException(ckpt + " was trained with " + resumed.weights().config()
                        + ", not " + config + "; delete it or change --out");
            }
            weights = resumed.weights();
            start = resumed.step();
            progress.onProgress("resuming from " + ckpt + " at step " + start);
        } else {
            weights = LlamaWeights.initialize(config, o.seed());
        }
        try (Parallel par = new Parallel(o.threads())) {
            TrainableLlama model = new TrainableLlama(weights, par);
            AdamW adam = AdamW.standard(weights.all(), o.weightDecay());
            if (resumed != null) Checkpoint.restore(resumed, adam);
            LrSchedule schedule = new LrSchedule(o.learningRate(), o.learningRate() * 0.1f, o.warmup(), o.steps());
            TokenBatches batches = new TokenBatches(train, o.batch(), seq, o.seed());
            String tok = ModelIO.tokenizerName(tokenizer);
            double loss = Double.NaN;
            long at = start;
            long chunk = o.evalEvery() > 0 ? o.evalEvery() : o.steps();
            while (at < o.steps()) {
                long end = Math.min(o.steps(), at + chunk);
                loss = TrainingLoop.run(model, batches, adam, schedule, at, end, o.steps(), LteLoss.NONE, o.clipNorm(),
                        o.checkpointEvery(), s -> Checkpoint.save(ckpt, weights, tok, s, adam), progress, "pretrain");
                at = end;
                if (at < o.steps()) {
                    Perplexity.Result v = Perplexity.measure(model, valid, seq, o.batch(), o.evalTokens(),
                            ProgressListener.SILENT);
                    progress.onProgress(String.format("step %d: validation nll %.4f  perplexity %.3f", at, v.nll(),
                            v.perplexity()));
                }
            }
            Checkpoint.save(ckpt, weights, tok, o.steps(), adam);
            Perplexity.Result v = Perplexity.measure(model, valid, seq, o.batch(), o.evalTokens(), progress);
            ModelIO.save(o.out(), weights, tokenizer);
            double secs = (System.nanoTime() - t0) / 1e9;
            progress.onProgress(String.format("done: train loss %.4f  validation nll %.4f  perplexity %.3f  (%s)  -> %s",
                    loss, v.nll(), v.perplexity(), ProgressListener.duration(secs), o.out()));
            return new TrainResult(o.out(), o.steps(), loss, v.nll(), v.perplexity(), 0, secs,
                    config.parameterCount());
        }
    }

    /** 256: one token per byte; more: byte-level BPE trained on the training part (deterministic). */
    static TextTokenizer tokenizer(int vocab, String trainText, ProgressListener progress) {
        if (vocab == 256) return new ByteTokenizer();
        if (vocab < 256) throw new IllegalArgumentException("tokenizer vocabulary must be >= 256, got " + vocab);
        long t0 = System.nanoTime();
        var bpe = BpeTrainer.train(trainText, vocab, (done, total) -> {
            if (done % 64 == 0 || done == total) {
                double el = (System.nanoTime() - t0) / 1e9;
                progress.onProgress(String.format("BPE %d/%d merges (%.0f%%)  ETA %s", done, total, 100.0 * done / total,
                        ProgressListener.duration(el / done * (total - done))));
            }
        });
        return new LibraryTokenizer(bpe);
    }
}
