package org.lte4j.model.sparse;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;

/**
 * Runs a dense model and keeps every layer's FFN input (after the RMSNorm): the vectors a router
 * sees. Used to calibrate initial routers on inputs of the model's own statistics.
 */
final class FfnInputCapture extends LlamaModel {
    private final List<List<float[]>> inputs = new ArrayList<>();

    private FfnInputCapture(LlamaModel base) {
        super(base);
        for (int l = 0; l < config().nLayers(); l++) {
            inputs.add(new ArrayList<>());
        }
    }

    @Override
    public float[] ffn(int layer, float[] x) {
        inputs.get(layer).add(x.clone());
        return super.ffn(layer, x);
    }

    /**
     * FFN inputs of {@code tokens} positions of one sequence of token ids drawn uniformly from the
     * vocabulary with {@code seed}; per layer, {@code [tokens][dim]} row-major.
     */
    static float[][] sample(LlamaModel model, int tokens, long seed) {
        FfnInputCapture c = new FfnInputCapture(model);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = Math.min(tokens, model.config().contextLength());
        LlamaState s = c.newState(n);
        for (int t = 0; t < n; t++) {
            c.forward(s, rnd.nextInt(model.config().vocabSize()));
        }
        int dim = model.config().dim();
        float[][] out = new float[c.inputs.size()][];
        for (int l = 0; l < out.length; l++) {
            List<float[]> rows = c.inputs.get(l);
            out[l] = new float[rows.size() * dim];
            for (int t = 0; t < rows.size(); t++) {
                System.arraycopy(rows.get(t), 0, out[l], t * dim, dim);
            }
        }
        return out;
    }
}
