package org.lte4j.model.lte;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lte4j.model.train.LlamaConfig;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LteSpec;
import org.lte4j.model.train.Parallel;

/** The calibration objective's router gradient against central finite differences of its value. */
class RouterCalibrationGradientTest {

    @Test
    void routerGradientMatchesFiniteDifferences() {
        LlamaConfig c = new LlamaConfig(16, 12, 1, 2, 1, 32, 8, 10000f, 1e-5f, true);
        LlamaWeights w = LlamaWeights.initialize(c, 4);
        for (var p : w.all()) if (!p.isVector()) for (int i = 0; i < p.data().length; i++) p.data()[i] *= 20;
        w.addRouters(new LteSpec(8, 0.5f), 4);
        int rows = 6;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] f = new float[rows * c.dim()], h = new float[rows * c.ffnDim()];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < h.length; i++) h[i] = (float) rnd.nextGaussian();
        double eta = 0.7, lambda = 0.5, mu = 1.3, count = rows * 4.0;
        float[] router = w.get(LlamaWeights.routerName(0)).data();
        float[] grad = new float[router.length];
        try (Parallel par = new Parallel(2)) {
            RouterCalibration.layer(par, w, 0, f, h, rows, eta, lambda, mu, 0.5, count, grad);
            double maxErr = 0, maxAbs = 0;
            float step = 1e-3f;
            for (int i = 0; i < router.length; i++) {
                float orig = router[i];
                router[i] = orig + step;
                double up = value(par, w, f, h, rows, eta, lambda, mu, count);
                router[i] = orig - step;
                double down = value(par, w, f, h, rows, eta, lambda, mu, count);
                router[i] = orig;
                double fd = (up - down) / (2 * step);
                maxErr = Math.max(maxErr, Math.abs(fd - grad[i]));
                maxAbs = Math.max(maxAbs, Math.abs(fd));
            }
            assertTrue(maxAbs > 1e-3, "gradient too small to test: " + maxAbs);
            assertTrue(maxErr <= 2e-2 * maxAbs, "max error " + maxErr + " vs max |grad| " + maxAbs);
        }
    }

    private static double value(Parallel par, LlamaWeights w, float[] f, float[] h, int rows, double eta,
                                double lambda, double mu, double count) {
        RouterCalibration.LayerLoss l = RouterCalibration.layer(par, w, 0, f, h, rows, eta, lambda, mu, 0.5, count,
                new float[w.get(LlamaWeights.routerName(0)).data().length]);
        return mu * l.rec() + (eta * l.effSum() + lambda * l.sepSum()) / count;
    }
}
