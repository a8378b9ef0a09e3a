package org.lte4j.model.lte;

import java.nio.file.Path;
import org.lte4j.model.train.FfnMode;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.ModelIO;
import org.lte4j.model.train.NeuronMasker;
import org.lte4j.model.train.Parallel;
import org.lte4j.model.train.Perplexity;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;
import org.lte4j.model.train.TextTokenizer;
import org.lte4j.model.train.TrainableLlama;

/**
 * Perplexity of a model on a split of a text file, with LTE gating as at inference (an expert
 * runs when G > threshold) unless {@code dense}.
 */
public final class Evaluate {
    private Evaluate() {
    }

    /** Options: {@code maxTokens <= 0} scores the whole split. */
    public record Options(Path model, Path data, TextData.Split split, boolean dense, long maxTokens, int threads) {
    }

    public static EvalResult run(Options o, ProgressListener progress) {
        ModelIO.Loaded m = ModelIO.load(o.model());
        int[] tokens = m.tokenizer().encode(TextData.load(o.data()).part(o.split()));
        FfnMode mode = o.dense() || m.weights().lte() == null ? FfnMode.DENSE : FfnMode.HARD;
        return run(m.weights(), tokens, mode, null, o.maxTokens(), o.threads(),
                mode == FfnMode.DENSE ? "dense" : "lte", progress);
    }

    /** Evaluates in-memory weights with an FFN mode or a baseline mask. */
    public static EvalResult run(LlamaWeights w, int[] tokens, FfnMode mode, NeuronMasker masker, long maxTokens,
                                 int threads, String method, ProgressListener progress) {
        try (Parallel par = new Parallel(threads)) {
            TrainableLlama model = new TrainableLlama(w, par);
            model.setMode(mode);
            model.setMasker(masker);
            int seq = w.config().contextLength();
            Perplexity.Result r = Perplexity.measure(model, tokens, seq, 16, maxTokens, progress);
            return new EvalResult(method, r.nll(), r.perplexity(), r.sparsity(), r.tokens());
        }
    }

    static int[] tokens(TextTokenizer t, Path data, TextData.Split split) {
        return t.encode(TextData.load(data).part(split));
    }
}
