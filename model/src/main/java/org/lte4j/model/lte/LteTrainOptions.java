package org.lte4j.model.lte;

import java.nio.file.Path;
import org.lte4j.model.train.LteSpec;

/**
 * Options of an LTE training stage.
 *
 * @param stage 1 (soft gating, routers and weights train on task + eta*eff + 0.5*sep) or 2 (hard
 *              gating, routers frozen, task loss only)
 * @param eta   efficiency loss weight (stage 1); larger is sparser
 * @param routerLrMultiplier routers learn this many times faster than the other weights (stage 1):
 *              short runs otherwise leave them close to their random start
 */
public record LteTrainOptions(Path model, Path data, int stage, double eta, long steps, int batch, int seq,
                              float learningRate, long warmup, float weightDecay, float clipNorm, long seed,
                              int threads, Path out, LteSpec lte, int kmeansIterations, long evalTokens,
                              float routerLrMultiplier, long routerCalibrationSteps) {

    public LteTrainOptions {
        if (model == null || data == null || out == null) throw new IllegalArgumentException("model, data and out are required");
        if (stage != 1 && stage != 2) throw new IllegalArgumentException("--stage must be 1 or 2, got " + stage);
        if (!(eta >= 0)) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        if (steps <= 0 || batch <= 0 || seq < 0 || threads <= 0) {
            throw new IllegalArgumentException("steps, batch and threads must be > 0 (seq >= 0)");
        }
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0");
        if (!(routerLrMultiplier > 0)) throw new IllegalArgumentException("router lr multiplier must be > 0");
        if (routerCalibrationSteps < 0) throw new IllegalArgumentException("router calibration steps must be >= 0");
    }

    public static LteTrainOptions defaults(Path model, Path data, int stage, double eta, Path out) {
        return new LteTrainOptions(model, data, stage, eta, 500, 16, 0, stage == 1 ? 1e-3f : 5e-4f, 30, 0.0f, 1.0f,
                1234, Runtime.getRuntime().availableProcessors(), out, LteSpec.DEFAULT, 20, 32768, 10f, 0);
    }

    public LteTrainOptions withSteps(long s) {
        return new LteTrainOptions(model, data, stage, eta, s, batch, seq, learningRate, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps);
    }

    public LteTrainOptions withBatch(int b, int sq) {
        return new LteTrainOptions(model, data, stage, eta, steps, b, sq, learningRate, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps);
    }

    public LteTrainOptions withLearningRate(float lr) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, lr, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps);
    }

    public LteTrainOptions withEvalTokens(long t) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, t, routerLrMultiplier, routerCalibrationSteps);
    }

    public LteTrainOptions withRouterLrMultiplier(float m) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, evalTokens, m, routerCalibrationSteps);
    }

    /**
     * Before stage 1 on a dense model, calibrate the new routers for this many steps on the
     * reconstruction loss alone, so that stage 1 starts from routers that keep the experts the
     * dense model uses switched on instead of a random half (which L_sep then keeps off).
     */
    public LteTrainOptions withRouterCalibrationSteps(long steps) {
        return new LteTrainOptions(model, data, stage, eta, this.steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, steps);
    }

    public LteTrainOptions withThreads(int t) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, t, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps);
    }
}
