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
 * @param targetSparsity stage 1: 0 keeps eta fixed; in (0, 1) eta starts at {@code eta} (10 if 0)
 *              and is steered after every step towards this hard-gating sparsity
 *              ({@link org.lte4j.model.train.LteLossSchedule#targeting})
 * @param separationFrom stage 1: 0 applies L_sep from the first step (the paper); in (0, 1) L_sep
 *              is off for this fraction of the steps and ramps linearly to full weight halfway
 *              between there and the end, so that routers can first move experts across the
 *              threshold
 */
public record LteTrainOptions(Path model, Path data, int stage, double eta, long steps, int batch, int seq,
                              float learningRate, long warmup, float weightDecay, float clipNorm, long seed,
                              int threads, Path out, LteSpec lte, int kmeansIterations, long evalTokens,
                              float routerLrMultiplier, long routerCalibrationSteps, double targetSparsity,
                              double separationFrom) {

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
        if (!(targetSparsity >= 0 && targetSparsity < 1)) {
            throw new IllegalArgumentException("target sparsity must be in [0, 1), got " + targetSparsity);
        }
        if (!(separationFrom >= 0 && separationFrom < 1)) {
            throw new IllegalArgumentException("separation start must be a fraction in [0, 1), got " + separationFrom);
        }
    }

    public static LteTrainOptions defaults(Path model, Path data, int stage, double eta, Path out) {
        return new LteTrainOptions(model, data, stage, eta, 500, 16, 0, stage == 1 ? 1e-3f : 5e-4f, 30, 0.0f, 1.0f,
                1234, Runtime.getRuntime().availableProcessors(), out, LteSpec.DEFAULT, 20, 32768, 10f, 0, 0, 0);
    }

    public LteTrainOptions withSteps(long s) {
        return new LteTrainOptions(model, data, stage, eta, s, batch, seq, learningRate, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    public LteTrainOptions withBatch(int b, int sq) {
        return new LteTrainOptions(model, data, stage, eta, steps, b, sq, learningRate, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    public LteTrainOptions withLearningRate(float lr) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, lr, warmup, weightDecay, clipNorm,
                seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    public LteTrainOptions withEvalTokens(long t) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, t, routerLrMultiplier, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    public LteTrainOptions withRouterLrMultiplier(float m) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, evalTokens, m, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    /**
     * Before stage 1 on a dense model, calibrate the new routers for this many steps on the
     * reconstruction loss alone, so that stage 1 starts from routers that keep the experts the
     * dense model uses switched on instead of a random half (which L_sep then keeps off).
     */
    public LteTrainOptions withRouterCalibrationSteps(long steps) {
        return new LteTrainOptions(model, data, stage, eta, this.steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, steps,
                targetSparsity, separationFrom);
    }

    public LteTrainOptions withThreads(int t) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, t, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps,
                targetSparsity, separationFrom);
    }

    /** See {@code targetSparsity} and {@code separationFrom} in the record's description. */
    public LteTrainOptions withSparsitySteering(double target, double sepFrom) {
        return new LteTrainOptions(model, data, stage, eta, steps, batch, seq, learningRate, warmup, weightDecay,
                clipNorm, seed, threads, out, lte, kmeansIterations, evalTokens, routerLrMultiplier, routerCalibrationSteps,
                target, sepFrom);
    }

    /** The stage-1 regulariser weights these options ask for, over {@code steps} steps. */
    public org.lte4j.model.train.LteLossSchedule lossSchedule() {
        long from = Math.round(separationFrom * steps), full = from + (steps - from) / 2;
        if (targetSparsity > 0) {
            return org.lte4j.model.train.LteLossSchedule.targeting(targetSparsity, eta > 0 ? eta : 10, from, full);
        }
        if (separationFrom > 0) return org.lte4j.model.train.LteLossSchedule.rampedSeparation(eta, from, full);
        return org.lte4j.model.train.LteLossSchedule.constant(org.lte4j.model.train.LteLoss.paper(eta));
    }
}
