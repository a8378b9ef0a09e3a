package org.lte4j.model.lte;

import java.nio.file.Path;
import org.lte4j.model.train.LteSpec;

/**
 * Router calibration on a frozen model: only the routers train, on
 * {@code eta L_eff + lambda L_sep + mu L_rec}, where {@code L_rec} is the relative squared error
 * of the soft-gated FFN output against the dense one.
 */
public record CalibrateOptions(Path model, Path data, double eta, double lambda, double mu, long steps, int batch,
                               int seq, float learningRate, long seed, int threads, Path out, LteSpec lte,
                               int kmeansIterations) {
    public CalibrateOptions {
        if (model == null || data == null || out == null) throw new IllegalArgumentException("model, data and out are required");
        if (!(eta >= 0) || !(lambda >= 0) || !(mu >= 0)) throw new IllegalArgumentException("eta, lambda, mu must be >= 0");
        if (steps <= 0 || batch <= 0 || seq < 0 || threads <= 0) throw new IllegalArgumentException("bad sizes");
    }

    public static CalibrateOptions defaults(Path model, Path data, double eta, Path out) {
        return new CalibrateOptions(model, data, eta, 0.5, 1.0, 200, 8, 0, 1e-2f, 1234,
                Runtime.getRuntime().availableProcessors(), out, LteSpec.DEFAULT, 20);
    }

    public CalibrateOptions withSteps(long s) {
        return new CalibrateOptions(model, data, eta, lambda, mu, s, batch, seq, learningRate, seed, threads, out,
                lte, kmeansIterations);
    }

    public CalibrateOptions withBatch(int b, int sq) {
        return new CalibrateOptions(model, data, eta, lambda, mu, steps, b, sq, learningRate, seed, threads, out,
                lte, kmeansIterations);
    }
}
