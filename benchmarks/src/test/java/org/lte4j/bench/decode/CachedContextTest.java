package org.lte4j.bench.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.sampling.Sampler;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.runtime.backend.jvm.JvmDevice;

/** {@code bench --context N}: decoding starts after N prompt positions, on the JVM path and on a device decoder. */
class CachedContextTest {
    private static final int CACHED = 37;

    private static DecodeBenchmark.Setup setup(int cached) {
        return new DecodeBenchmark.Setup(4, 2, 0, Optional.empty(), Optional.empty(), cached, Optional.empty());
    }

    /** The first token after the prompt, fed one token at a time: the reference. */
    private static int nextAfterPrompt(LlamaModel model) {
        LlamaState s = model.newState(CACHED + 1);
        float[] logits = null;
        for (int t : DecodeBenchmark.prompt(model.config().vocabSize(), CACHED)) {
            logits = model.forward(s, t);
        }
        return Sampler.argmax(logits);
    }

    @Test
    void theJvmPathStartsAfterThePromptWithItsNextToken() {
        try (LlamaModel model = SyntheticModel.create(SyntheticPreset.TINY, GgmlType.F32, 3)) {
            DecodeBenchmark.Setup setup = setup(CACHED);
            LlamaState s = model.newState(setup.contextLength());
            int first = setup.startDecoding(model, s);
            assertEquals(CACHED, s.length(), "positions in the cache");
            assertEquals(nextAfterPrompt(model), first);
            assertEquals(CACHED + 2 + 4 + 1, setup.contextLength());
            LlamaState fresh = model.newState(8);
            assertEquals(1, setup(0).startDecoding(model, fresh), "from the start: token 1");
            assertEquals(0, fresh.length());
        }
    }

    @Test
    void aDeviceDecoderStartsAfterThePromptWithItsNextToken() {
        try (LlamaModel model = SyntheticModel.create(SyntheticPreset.TINY, GgmlType.F32, 3)) {
            DecodeBenchmark.Setup setup = setup(CACHED);
            JvmDevice device = new JvmDevice();
            try (DeviceLlama d = DeviceLlama.create(model, device, setup.options(device, setup.contextLength()))) {
                assertEquals(nextAfterPrompt(model), setup.startDecoding(d, d.vocabSize()));
            }
        }
    }

    /** The KV-cache bytes of a token, against a step-by-step count of the positions each timed step attends. */
    @Test
    void cacheBytesAreTheMeanOfWhatTheTimedStepsAttend() {
        LlamaConfig c = SyntheticPreset.TINY.config;
        for (int cached : new int[] {0, CACHED}) {
            DecodeBenchmark.Setup s = setup(cached);
            long attended = 0;
            for (int step = 0; step < s.tokens(); step++) {
                attended += cached + s.warmUp() + step + 1; // positions 0 .. its own
            }
            double perPosition = 2.0 * c.nLayers() * c.kvDim() * Float.BYTES; // a key and a value, fp32, every layer
            assertEquals(Math.round(attended * perPosition / s.tokens()), s.cacheBytesPerToken(c), "context " + cached);
        }
    }

    @Test
    void aNegativeContextIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> setup(-1));
    }
}
