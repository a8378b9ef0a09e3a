package org.lte4j.model.lte;

import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LteSpec;
import org.lte4j.model.train.Parameter;
import org.lte4j.model.train.ProgressListener;

/**
 * Groups each layer's FFN neurons into experts by balanced k-means on their gate-projection
 * rows, and permutes the weights so every expert is contiguous.
 */
public final class ExpertGrouping {
    private ExpertGrouping() {
    }

    /** Returns the mean neuron-to-center distance per layer. */
    public static double[] apply(LlamaWeights w, LteSpec spec, long seed, int maxIterations,
                                 ProgressListener progress) {
        int layers = w.config().layers();
        double[] quality = new double[layers];
        for (int l = 0; l < layers; l++) {
            Parameter gate = w.layer(l, "ffn_gate.weight");
            BalancedKMeans.Result r = BalancedKMeans.cluster(gate.data(), gate.rows(), gate.cols(),
                    spec.expertSize(), seed + l, maxIterations, progress, "layer " + l);
            NeuronPermutation.apply(w, l, r.order());
            quality[l] = r.meanDistance();
            progress.onProgress(String.format("layer %d: %d experts of %d, mean distance to center %.4f (%d iterations)",
                    l, gate.rows() / spec.expertSize(), spec.expertSize(), r.meanDistance(), r.iterations()));
        }
        return quality;
    }
}
