package org.lte4j.model.lte;

import org.lte4j.model.train.FfnMode;
import org.lte4j.model.train.LteLoss;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainableLlama;

/** Runs the dense model on calibration batches and hands each layer's FFN input and neuron activations over. */
final class ActivationSampler {
    /** Receives {@code rows} rows of FFN input {@code f [rows][dim]} and activations {@code h [rows][ffn]}. */
    interface Sink {
        void accept(int layer, float[] f, float[] h, int rows);
    }

    private ActivationSampler() {
    }

    static void sample(TrainableLlama model, TokenBatches batches, int count, long firstStep, Sink sink) {
        FfnMode saved = model.mode();
        model.setMode(FfnMode.DENSE);
        model.setMasker(null);
        int n = batches.batch() * batches.seq();
        int[] in = new int[n], tg = new int[n];
        try {
            for (int b = 0; b < count; b++) {
                batches.fill(firstStep + b, in, tg);
                model.step(in, tg, batches.batch(), batches.seq(), LteLoss.NONE, false);
                for (int l = 0; l < model.config().layers(); l++) {
                    sink.accept(l, model.layer(l).ffnInput(), model.layer(l).neuronActivations(), n);
                }
            }
        } finally {
            model.setMode(saved);
        }
    }
}
