package org.lte4j.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Whole-model gradient checks: the analytic fp32 gradients of {@link TrainableLlama} against
 * central finite differences of an independent float64 reference ({@link RefLlama}).
 */
class ModelGradientCheckTest {

    static LlamaConfig tinyConfig(boolean tied) {
        return new LlamaConfig(13, 16, 2, 4, 2, 32, 8, 10000f, 1e-5f, tied);
    }

    static int[] randomTokens(SplittableRandom rnd, int count, int vocab) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = rnd.nextInt(vocab);
        return t;
    }

    private static void check(LlamaWeights w, FfnMode mode, LteLoss lteLoss, int threads) {
        int batch = 2, seq = 6;
        SplittableRandom rnd = new SplittableRandom(42);
        int[] in = randomTokens(rnd, batch * seq, w.config().vocabSize());
        int[] tg = randomTokens(rnd, batch * seq, w.config().vocabSize());
        tg[3] = -1; // an unscored position
        try (Parallel par = new Parallel(threads)) {
            TrainableLlama m = new TrainableLlama(w, par);
            m.setMode(mode);
            w.zeroGrad();
            StepResult res = m.step(in, tg, batch, seq, lteLoss, true);
            RefLlama ref = new RefLlama(w);
            double[] refLoss = ref.loss(in, tg, batch, seq, mode, lteLoss);
            ref.fixedF = ref.lastF; // L_eff/L_sep gradients do not flow through the router input
            assertEquals(refLoss[3], res.totalLoss(), 1e-4 * Math.max(1, Math.abs(refLoss[3])), "forward loss");
            double h = 1e-5;
            int checked = 0;
            for (Parameter p : w.all()) {
                double[] ref0 = ref.p.get(p.name());
                // router weights see the whole objective; the regularisers do not reach the
                // rest of the model (the router input is constant for them), so the other
                // tensors' gradients are those of the task loss alone
                int objective = p.name().contains("ffn_router") ? 3 : 0;
                double maxAbs = 0, maxErr = 0;
                int samples = Math.min(12, ref0.length);
                for (int s = 0; s < samples; s++) {
                    int i = s == 0 ? 0 : rnd.nextInt(ref0.length);
                    double orig = ref0[i];
                    ref0[i] = orig + h;
                    double up = ref.loss(in, tg, batch, seq, mode, lteLoss)[objective];
                    ref0[i] = orig - h;
                    double down = ref.loss(in, tg, batch, seq, mode, lteLoss)[objective];
                    ref0[i] = orig;
                    double fd = (up - down) / (2 * h);
                    maxAbs = Math.max(maxAbs, Math.abs(fd));
                    maxErr = Math.max(maxErr, Math.abs(fd - p.grad()[i]));
                    checked++;
                }
                assertTrue(maxErr <= 2e-3 * Math.max(maxAbs, 1e-3),
                        p.name() + ": max |analytic - fd| = " + maxErr + " (max |fd| " + maxAbs + ") in " + mode);
            }
            assertTrue(checked > 50);
        }
    }

    @Test
    void denseTiedGradientsMatchFiniteDifferences() {
        check(LlamaWeights.initialize(tinyConfig(true), 1), FfnMode.DENSE, LteLoss.NONE, 1);
    }

    @Test
    void denseUntiedGradientsMatchFiniteDifferencesMultiThreaded() {
        LlamaWeights w = LlamaWeights.initialize(tinyConfig(false), 2);
        scaleUp(w);
        check(w, FfnMode.DENSE, LteLoss.NONE, 3);
    }

    @Test
    void softGatingWithRouterLossesMatchesFiniteDifferences() {
        LlamaWeights w = LlamaWeights.initialize(tinyConfig(true), 3);
        scaleUp(w);
        w.addRouters(new LteSpec(8, 0.5f), 3);
        check(w, FfnMode.SOFT, LteLoss.paper(0.3), 2);
    }

    @Test
    void hardGatingMatchesFiniteDifferencesWithRoutersFrozen() {
        LlamaWeights w = LlamaWeights.initialize(tinyConfig(true), 4);
        scaleUp(w);
        w.addRouters(new LteSpec(8, 0.5f), 4);
        for (int l = 0; l < w.config().layers(); l++) w.get(LlamaWeights.routerName(l)).setFrozen(true);
        check(w, FfnMode.HARD, LteLoss.paper(0.3), 2);
    }

    /** Larger weights than the 0.02 init so that every term contributes visibly to the check. */
    static void scaleUp(LlamaWeights w) {
        for (Parameter p : w.all()) {
            if (p.isVector()) {
                for (int i = 0; i < p.data().length; i++) p.data()[i] = 0.8f + 0.05f * (i % 7);
            } else if (!p.name().contains("router")) {
                for (int i = 0; i < p.data().length; i++) p.data()[i] *= 15f;
            }
        }
    }
}
