package org.lte4j.model.lte;

import java.util.Arrays;
import org.lte4j.model.train.NeuronMasker;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainableLlama;

/**
 * Baseline in the style of CATS/TEAL: a neuron is skipped when {@code |silu(gate)|} is below a
 * per-layer threshold, chosen on calibration data as the quantile that gives the target
 * sparsity.
 */
public final class MagnitudeThreshold implements NeuronMasker {
    private final float[] thresholds;

    public MagnitudeThreshold(float[] thresholds) {
        this.thresholds = thresholds.clone();
    }

    public static MagnitudeThreshold calibrate(TrainableLlama model, TokenBatches batches, int count,
                                               double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0,1)");
        int layers = model.config().layers(), ffn = model.config().ffnDim();
        int rows = batches.batch() * batches.seq();
        float[][] values = new float[layers][count * rows * ffn];
        int[] fill = new int[layers];
        // |silu(g)| is recovered from the activation and the up projection: simpler to recompute from g
        ActivationSampler.sample(model, batches, count, 1_000_000, (l, f, h, n) -> {
            float[] g = gateActivations(model, l, n);
            for (int i = 0; i < n * ffn; i++) values[l][fill[l]++] = Math.abs(g[i]);
        });
        float[] t = new float[layers];
        for (int l = 0; l < layers; l++) {
            float[] v = Arrays.copyOf(values[l], fill[l]);
            Arrays.sort(v);
            t[l] = sparsity == 0 ? -1f : v[(int) Math.min(v.length - 1, Math.floor(sparsity * v.length))];
        }
        return new MagnitudeThreshold(t);
    }

    private static float[] gateActivations(TrainableLlama model, int layer, int n) {
        float[] h = model.layer(layer).neuronActivations();
        float[] g = model.layer(layer).gatePreActivations();
        float[] out = new float[n * model.config().ffnDim()];
        for (int i = 0; i < out.length; i++) out[i] = org.lte4j.model.train.SwiGlu.silu(g[i]);
        return out;
    }

    public float[] thresholds() {
        return thresholds.clone();
    }

    @Override
    public void mask(int layer, float[] ffnInput, float[] gateAct, float[] neuronAct, int rows, float[] maskOut) {
        float t = thresholds[layer];
        int count = rows * (maskOut.length / Math.max(1, rows));
        for (int i = 0; i < count; i++) maskOut[i] = Math.abs(gateAct[i]) > t ? 1f : 0f;
    }
}
