package org.lte4j.model.sparse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measured FFN sparsity, per token position and layer: the fraction of a layer's FFN neurons
 * that were skipped (neurons of inactive experts over all neurons).
 *
 * <p>Rows follow the calls: recording a layer that the current row already has starts a new
 * token row, so one sequence run token by token gives one row per token. Not thread-safe; run one
 * sequence at a time through a model whose recorder you read. {@link #clear()} drops the rows,
 * e.g. after the prompt to keep only generated tokens.
 */
public final class SparsityRecorder {
    private final int layers;
    private final int neuronsPerLayer;
    private final List<int[]> skipped = new ArrayList<>(); // per token: skipped neurons per layer, -1 = not run

    public SparsityRecorder(int layers, int neuronsPerLayer) {
        if (layers <= 0 || neuronsPerLayer <= 0) {
            throw new IllegalArgumentException("recorder of " + layers + " layers x " + neuronsPerLayer + " neurons");
        }
        this.layers = layers;
        this.neuronsPerLayer = neuronsPerLayer;
    }

    /** Records that layer {@code layer} skipped {@code skippedNeurons} of its neurons for the current token. */
    public void record(int layer, int skippedNeurons) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (layers - 1));
        }
        if (skippedNeurons < 0 || skippedNeurons > neuronsPerLayer) {
            throw new IllegalArgumentException(skippedNeurons + " skipped neurons of " + neuronsPerLayer);
        }
        int[] row = skipped.isEmpty() ? null : skipped.getLast();
        if (row == null || row[layer] >= 0) {
            row = new int[layers];
            Arrays.fill(row, -1);
            skipped.add(row);
        }
        row[layer] = skippedNeurons;
    }

    public int layers() {
        return layers;
    }

    public int neuronsPerLayer() {
        return neuronsPerLayer;
    }

    /** Token rows recorded. */
    public int tokens() {
        return skipped.size();
    }

    /** Whether layer {@code layer} ran for token row {@code token}. */
    public boolean has(int token, int layer) {
        return skipped.get(token)[layer] >= 0;
    }

    /** Neurons skipped by {@code layer} for token row {@code token}; -1 if it did not run. */
    public int skippedNeurons(int token, int layer) {
        return skipped.get(token)[layer];
    }

    /** Fraction of the layer's neurons skipped for that token; NaN if it did not run. */
    public double sparsity(int token, int layer) {
        int s = skipped.get(token)[layer];
        return s < 0 ? Double.NaN : (double) s / neuronsPerLayer;
    }

    /** Mean sparsity of a layer over the tokens it ran for; NaN if none. */
    public double layerSparsity(int layer) {
        long sum = 0, n = 0;
        for (int[] row : skipped) {
            if (row[layer] >= 0) {
                sum += row[layer];
                n++;
            }
        }
        return n == 0 ? Double.NaN : (double) sum / (n * neuronsPerLayer);
    }

    /** Skipped neurons over all FFN neurons run, over every layer and token; NaN if nothing ran. */
    public double overallSparsity() {
        long sum = 0, n = 0;
        for (int[] row : skipped) {
            for (int s : row) {
                if (s >= 0) {
                    sum += s;
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : (double) sum / (n * neuronsPerLayer);
    }

    /**
     * A copy holding token rows {@code from ..} only, e.g. the generated tokens after a prompt of
     * {@code from} tokens.
     */
    public SparsityRecorder copyFrom(int from) {
        if (from < 0 || from > skipped.size()) {
            throw new IllegalArgumentException("token " + from + " outside 0.." + skipped.size());
        }
        SparsityRecorder r = new SparsityRecorder(layers, neuronsPerLayer);
        for (int[] row : skipped.subList(from, skipped.size())) {
            r.skipped.add(row.clone());
        }
        return r;
    }

    public void clear() {
        skipped.clear();
    }
}
