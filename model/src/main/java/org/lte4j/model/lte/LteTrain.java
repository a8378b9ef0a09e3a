package org.lte4j.model.lte;

import org.lte4j.model.train.AdamW;
import org.lte4j.model.train.FfnMode;
import org.lte4j.model.train.LlamaConfig;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LrSchedule;
import org.lte4j.model.train.LteLoss;
import org.lte4j.model.train.LteLossSchedule;
import org.lte4j.model.train.ModelIO;
import org.lte4j.model.train.Parallel;
import org.lte4j.model.train.Parameter;
import org.lte4j.model.train.Perplexity;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainResult;
import org.lte4j.model.train.TrainableLlama;
import org.lte4j.model.train.TrainingLoop;

/**
 * The two LTE training stages. Stage 1 takes a dense model (grouping its neurons into experts
 * and adding routers first) or an LTE model, and trains everything with soft gating on
 * {@code L_task + eta L_eff + 0.5 L_sep}. Stage 2 needs an LTE model; it freezes the routers and
 * fine-tunes the weights with hard gating on the task loss.
 */
public final class LteTrain {
    private LteTrain() {
    }

    public static TrainResult run(LteTrainOptions o, ProgressListener progress) {
        long t0 = System.nanoTime();
        ModelIO.Loaded loaded = ModelIO.load(o.model());
        LlamaWeights w = loaded.weights();
        LlamaConfig c = w.config();
        if (o.stage() == 2 && w.lte() == null) {
            throw new IllegalArgumentException(o.model() + " has no LTE metadata (lte.expert_size, routers): "
                    + "run --stage 1 (or calibrate) on it first");
        }
        boolean calibrate = false;
        if (w.lte() == null) {
            progress.onProgress("grouping FFN neurons into experts of " + o.lte().expertSize() + " (balanced k-means)");
            ExpertGrouping.apply(w, o.lte(), o.seed(), o.kmeansIterations(), progress);
            w.addRouters(o.lte(), o.seed());
            calibrate = o.routerCalibrationSteps() > 0;
        }
        TextData data = TextData.load(o.data());
        int[] train = loaded.tokenizer().encode(data.train());
        if (calibrate) {
            progress.onProgress("calibrating the new routers on the frozen model (reconstruction only)");
            CalibrateOptions d = CalibrateOptions.defaults(o.model(), o.data(), 0, o.out());
            // reconstruction only (no L_eff, no L_sep): every expert the dense model needs turns on
            Calibrate.calibrate(w, train, new CalibrateOptions(d.model(), d.data(), 0, 0, 1, o.routerCalibrationSteps(),
                    o.batch(), o.seq(), d.learningRate(), o.seed(), o.threads(), o.out(), o.lte(), 0), progress);
        }
        int[] valid = loaded.tokenizer().encode(data.validation());
        int seq = o.seq() == 0 ? c.contextLength() : o.seq();
        for (int l = 0; l < c.layers(); l++) w.get(LlamaWeights.routerName(l)).setFrozen(o.stage() == 2);
        try (Parallel par = new Parallel(o.threads())) {
            TrainableLlama model = new TrainableLlama(w, par);
            model.setMode(o.stage() == 1 ? FfnMode.SOFT : FfnMode.HARD);
            AdamW adam = AdamW.standard(w.all(), o.weightDecay()).withRouterLrMultiplier(o.routerLrMultiplier());
            LrSchedule schedule = new LrSchedule(o.learningRate(), o.learningRate() * 0.1f,
                    Math.min(o.warmup(), o.steps()), o.steps());
            LteLossSchedule loss = o.stage() == 1 ? o.lossSchedule() : LteLossSchedule.constant(LteLoss.NONE);
            double last = TrainingLoop.run(model, new TokenBatches(train, o.batch(), seq, o.seed() + 17), adam,
                    schedule, 0, o.steps(), o.steps(), loss, o.clipNorm(), 0, null, progress, "lte stage " + o.stage());
            for (Parameter p : w.all()) p.setFrozen(false);
            model.setMode(FfnMode.HARD);
            Perplexity.Result v = Perplexity.measure(model, valid, seq, o.batch(), o.evalTokens(), progress);
            ModelIO.save(o.out(), w, loaded.tokenizer());
            double secs = (System.nanoTime() - t0) / 1e9;
            progress.onProgress(String.format("stage %d done: validation nll %.4f  perplexity %.3f  FFN sparsity %.3f  (%s) -> %s",
                    o.stage(), v.nll(), v.perplexity(), v.sparsity(), ProgressListener.duration(secs), o.out()));
            return new TrainResult(o.out(), o.steps(), last, v.nll(), v.perplexity(), v.sparsity(), secs,
                    c.parameterCount());
        }
    }
}
