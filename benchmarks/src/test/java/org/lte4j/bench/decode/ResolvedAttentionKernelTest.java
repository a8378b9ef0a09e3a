package org.lte4j.bench.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lte4j.kernels.Attention;
import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.device.DecodeOptions.AttentionKernel;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.runtime.backend.jvm.JvmDevice;

/**
 * The decoder reports the attention kernel that runs (the bench prints it): the one asked for,
 * except that a head wider than the item-per-head kernel's private sums
 * ({@link Attention#MAX_ITEM_HEAD_DIM}) takes the work-group kernel, an item per position.
 */
class ResolvedAttentionKernelTest {

    private static AttentionKernel resolved(LlamaModel model) {
        JvmDevice device = new JvmDevice();
        DecodeOptions options = DecodeOptions.defaults(device, 8).withAttention(AttentionKernel.ITEM_PER_HEAD);
        try (DeviceLlama d = DeviceLlama.create(model, device, options)) {
            return d.attentionKernel();
        }
    }

    @Test
    void aHeadWiderThanTheItemPerHeadKernelRunsAnItemPerPosition() {
        int headDim = 2 * Attention.MAX_ITEM_HEAD_DIM;
        LlamaConfig wide = new LlamaConfig("llama", headDim, 64, 1, 1, 1, headDim, 64, 64, 1e-5f, 10000, null, false, false);
        try (LlamaModel model = SyntheticModel.create(wide, "wide-head", GgmlType.F32, 1)) {
            assertEquals(AttentionKernel.PER_POSITION_ITEM, resolved(model), "a head of " + headDim);
        }
        try (LlamaModel model = SyntheticModel.create(SyntheticPreset.TINY, GgmlType.F32, 1)) {
            assertEquals(AttentionKernel.ITEM_PER_HEAD, resolved(model), "a head of 16");
        }
    }
}
