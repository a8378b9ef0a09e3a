package org.lte4j.model.lte;

import org.lte4j.model.train.AdamW;
import org.lte4j.model.train.FfnMode;
import org.lte4j.model.train.LlamaConfig;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LrSchedule;
import org.lte4j.model.train.LteLoss;
import org.lte4j.model.train.ModelIO;
import org.lte4j.model.train.Parallel;
import org.lte4j.model.train.Parameter;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainableLlama;

import java.util.ArrayList;
import java.util.List;

/**
 * Trains only the routers of a frozen model (grouping a dense model's neurons into experts and
 * adding routers first), layer by layer on the dense model's activations; prints per-layer
 * sparsity and the relative error of the hard-gated FFN output.
 */
public final class Calibrate {
    /** Per-layer outcome: fraction of experts skipped and relative squared error of the hard-gated FFN. */
    public record LayerReport(int layer, double sparsity, double relativeError) {
    }

    public record Result(List<LayerReport> layers, double sparsity, double seconds) {
    }

    private Calibrate() {
    }

    public static Result run(CalibrateOptions o, ProgressListener progress) {
        ModelIO.Loaded loaded = ModelIO.load(o.model());
        LlamaWeights w = loaded.weights();
        if (w.lte() == null) {
            progress.onProgress("grouping FFN neurons into experts of " + o.lte().expertSize() + " (balanced k-means)");
            ExpertGrouping.apply(w, o.lte(), o.seed(), o.kmeansIterations(), progress);
            w.addRouters(o.lte(), o.seed());
        }
        int[] train = loaded.tokenizer().encode(TextData.load(o.data()).train());
        Result r = calibrate(w, train, o, progress);
        ModelIO.save(o.out(), w, loaded.tokenizer());
        progress.onProgress("calibrated routers -> " + o.out());
        return r;
    }

    /** Calibrates the routers of {@code w} in place. */
    public static Result calibrate(LlamaWeights w, int[] trainTokens, CalibrateOptions o, ProgressListener progress) {
        long t0 = System.nanoTime();
        LlamaConfig c = w.config();
        int seq = o.seq() == 0 ? c.contextLength() : o.seq();
        List<Parameter> routers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) routers.add(w.get(LlamaWeights.routerName(l)));
        int experts = w.lte().experts(c.ffnDim());
        try (Parallel par = new Parallel(o.threads())) {
            TrainableLlama model = new TrainableLlama(w, par);
            model.setMode(FfnMode.DENSE);
            TokenBatches batches = new TokenBatches(trainTokens, o.batch(), seq, o.seed() + 99);
            AdamW adam = AdamW.standard(routers, 0f);
            LrSchedule schedule = new LrSchedule(o.learningRate(), o.learningRate() * 0.1f, Math.min(10, o.steps()), o.steps());
            int n = o.batch() * seq;
            int[] in = new int[n], tg = new int[n];
            RouterCalibration.LayerLoss[] last = new RouterCalibration.LayerLoss[c.layers()];
            for (long step = 0; step < o.steps(); step++) {
                batches.fill(step, in, tg);
                model.step(in, tg, o.batch(), seq, LteLoss.NONE, false);
                for (Parameter p : routers) p.zeroGrad();
                double count = (double) c.layers() * experts * n;
                double loss = 0;
                long skipped = 0, total = 0;
                for (int l = 0; l < c.layers(); l++) {
                    last[l] = RouterCalibration.layer(par, w, l, model.layer(l).ffnInput(),
                            model.layer(l).neuronActivations(), n, o.eta(), o.lambda(), o.mu() / c.layers(), 0.5, count,
                            routers.get(l).grad());
                    loss += o.mu() / c.layers() * last[l].rec() + (o.eta() * last[l].effSum() + o.lambda() * last[l].sepSum()) / count;
                    skipped += last[l].skipped();
                    total += last[l].total();
                }
                adam.step(par, schedule.at(step), 1.0f);
                if (step == 0 || (step + 1) % 10 == 0 || step + 1 == o.steps()) {
                    double el = (System.nanoTime() - t0) / 1e9;
                    progress.onProgress(String.format("calibrate step %d/%d  loss %.4f  sparsity %.3f  %.1f steps/s  ETA %s",
                            step + 1, o.steps(), loss, (double) skipped / total, (step + 1) / el,
                            ProgressListener.duration(el / (step + 1) * (o.steps() - step - 1))));
                }
            }
            List<LayerReport> reports = new ArrayList<>();
            double sp = 0;
            for (int l = 0; l < c.layers(); l++) {
                double s = (double) last[l].skipped() / last[l].total();
                reports.add(new LayerReport(l, s, last[l].hardError()));
                sp += s / c.layers();
                progress.onProgress(String.format("layer %d: sparsity %.3f  relative error (hard gating) %.4f", l, s,
                        last[l].hardError()));
            }
            return new Result(reports, sp, (System.nanoTime() - t0) / 1e9);
        }
    }
}
