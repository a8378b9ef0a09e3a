package org.lte4j.model.lte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lte4j.model.train.LlamaConfig;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LteLoss;
import org.lte4j.model.train.LteSpec;
import org.lte4j.model.train.Parallel;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TrainableLlama;

class NeuronPermutationTest {

    @Test
    void permutedDenseModelComputesTheSameLogits() {
        LlamaConfig c = new LlamaConfig(17, 32, 2, 4, 2, 96, 16, 10000f, 1e-5f, true);
        LlamaWeights w = LlamaWeights.initialize(c, 5);
        for (var p : w.all()) if (!p.isVector()) for (int i = 0; i < p.data().length; i++) p.data()[i] *= 10;
        LlamaWeights permuted = w.copy();
        double[] quality = ExpertGrouping.apply(permuted, new LteSpec(32, 0.5f), 3, 10, ProgressListener.SILENT);
        assertEquals(2, quality.length);
        // the permutation is not the identity
        assertTrue(!java.util.Arrays.equals(w.layer(0, "ffn_gate.weight").data(),
                permuted.layer(0, "ffn_gate.weight").data()));
        int[] tokens = new int[2 * 16], targets = new int[2 * 16];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(17);
            targets[i] = rnd.nextInt(17);
        }
        try (Parallel par = new Parallel(2)) {
            TrainableLlama a = new TrainableLlama(w, par), b = new TrainableLlama(permuted, par);
            double la = a.step(tokens, targets, 2, 16, LteLoss.NONE, false).taskLoss();
            float[] logitsA = a.logits().clone();
            double lb = b.step(tokens, targets, 2, 16, LteLoss.NONE, false).taskLoss();
            float[] logitsB = b.logits();
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < logitsA.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(logitsA[i] - logitsB[i]));
                maxAbs = Math.max(maxAbs, Math.abs(logitsA[i]));
            }
            // only the summation order of the down projection changes: equal up to fp32 rounding
            assertTrue(maxDiff <= 1e-5 * Math.max(1, maxAbs), "max logit difference " + maxDiff);
            assertEquals(la, lb, 1e-5);
        }
    }
}
