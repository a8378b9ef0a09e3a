package org.lte4j.model.lte;

import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.Parameter;

/**
 * Reorders the FFN neurons of a layer: neuron p of the result is neuron {@code order[p]} of the
 * input, i.e. gate and up rows and down columns move together, so the dense model computes the
 * same function.
 */
public final class NeuronPermutation {
    private NeuronPermutation() {
    }

    public static void apply(LlamaWeights w, int layer, int[] order) {
        int ffn = w.config().ffnDim(), dim = w.config().dim();
        if (order.length != ffn) throw new IllegalArgumentException("permutation of " + order.length + " != " + ffn);
        boolean[] seen = new boolean[ffn];
        for (int o : order) {
            if (o < 0 || o >= ffn || seen[o]) throw new IllegalArgumentException("not a permutation: " + o);
            seen[o] = true;
        }
        permuteRows(w.layer(layer, "ffn_gate.weight"), order);
        permuteRows(w.layer(layer, "ffn_up.weight"), order);
        Parameter down = w.layer(layer, "ffn_down.weight");
        float[] d = down.data();
        float[] row = new float[ffn];
        for (int r = 0; r < dim; r++) {
            for (int p = 0; p < ffn; p++) row[p] = d[r * ffn + order[p]];
            System.arraycopy(row, 0, d, r * ffn, ffn);
        }
    }

    private static void permuteRows(Parameter p, int[] order) {
        int cols = p.cols();
        float[] src = p.data().clone();
        for (int r = 0; r < order.length; r++) System.arraycopy(src, order[r] * cols, p.data(), r * cols, cols);
    }
}
