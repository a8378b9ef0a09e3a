package org.lte4j.model.device;

import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.sparse.SparsityRecorder;
import org.lte4j.runtime.backend.Device;

/**
 * A {@link DeviceLlama} whose FFN is the LTE {@link SparseFeedForward}, with the block at hand to
 * read the measured sparsity back. Decode through {@link #llama()} (or a {@link DeviceGenerator}
 * over it) exactly as for the dense model; the active counts stay on the device unless
 * {@link #readActiveCounts()} is called (one synchronisation and one small copy per layer).
 */
public final class SparseDeviceLlama implements AutoCloseable {
    private final DeviceLlama llama;
    private final SparseFeedForward ffn;
    private final ExpertWeights owned;

    private SparseDeviceLlama(LlamaModel model, ExpertWeights experts, float threshold, Device device, DecodeOptions options,
                              int maxChunks, int routingPasses, int prefillBatch, ExpertWeights owned) {
        SparseFeedForward[] made = new SparseFeedForward[1];
        this.llama = DeviceLlama.create(model, device, options, w -> {
            made[0] = new SparseFeedForward(model, experts, threshold, w, options.localSize(), options.gemv(), maxChunks, routingPasses,
                    options.q8_0Input());
            return made[0];
        }, prefillBatch);
        this.ffn = made[0];
        this.owned = owned;
    }

    /** The LTE model on {@code device}, at its own threshold; prompts run {@link DevicePrefill#DEFAULT_BATCH} tokens at a time. */
    public static SparseDeviceLlama create(LteModel model, Device device, DecodeOptions options) {
        return create(model, device, options, DevicePrefill.DEFAULT_BATCH);
    }

    /** As {@link #create(LteModel, Device, DecodeOptions)}, prompts running {@code prefillBatch} tokens at a time (0: token by token). */
    public static SparseDeviceLlama create(LteModel model, Device device, DecodeOptions options, int prefillBatch) {
        ExpertWeights experts = ExpertWeights.of(model, options.gemv());
        try {
            return new SparseDeviceLlama(model, experts, model.settings().threshold(), device, options,
                    SparseFeedForward.defaultMaxChunks(device.isGpu()), 1, prefillBatch, experts);
        } catch (RuntimeException e) {
            experts.close();
            throw e;
        }
    }

    /**
     * {@code model} (FFN neurons grouped into experts) with the given routers at {@code threshold};
     * {@code experts} stays the caller's, so several thresholds can share one copy.
     */
    public static SparseDeviceLlama create(LlamaModel model, ExpertWeights experts, float threshold, Device device,
                                           DecodeOptions options) {
        return create(model, experts, threshold, device, options, 1);
    }

    /**
     * As {@link #create(LlamaModel, ExpertWeights, float, Device, DecodeOptions)}, every layer
     * routing {@code routingPasses} times in a row ({@link SparseFeedForward}'s benchmark form).
     */
    public static SparseDeviceLlama create(LlamaModel model, ExpertWeights experts, float threshold, Device device,
                                           DecodeOptions options, int routingPasses) {
        return new SparseDeviceLlama(model, experts, threshold, device, options,
                SparseFeedForward.defaultMaxChunks(device.isGpu()), routingPasses, DevicePrefill.DEFAULT_BATCH, null);
    }

    public DeviceLlama llama() {
        return llama;
    }

    public SparseFeedForward feedForward() {
        return ffn;
    }

    /** Active experts per layer in the last step; waits for the device and copies one int per layer. */
    public int[] readActiveCounts() {
        llama.transferToHost(ffn.activeCounts());
        int[] c = new int[llama.config().nLayers()];
        for (int l = 0; l < c.length; l++) {
            c[l] = ffn.activeCount(l).get(0);
        }
        return c;
    }

    /** Records the last step's sparsity (skipped neurons per layer) as one token row. */
    public void recordLastStep(SparsityRecorder recorder) {
        int[] active = readActiveCounts();
        for (int l = 0; l < active.length; l++) {
            recorder.record(l, (ffn.experts() - active[l]) * ffn.expertSize());
        }
    }

    @Override
    public void close() {
        llama.close();
        if (owned != null) {
            owned.close();
        }
    }
}
