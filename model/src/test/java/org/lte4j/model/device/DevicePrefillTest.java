package org.lte4j.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.llama.GenerationOptions;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;

/**
 * Batched device prefill ({@link DevicePrefill}, 16 tokens a batch) against token-by-token
 * prefill through the decode step of a second {@link DeviceLlama} on the same device: the same
 * logits after the prompt (relative 1e-5: fp32 sums in another order), the same KV cache (the
 * logits of every later decode step read all of it) and so the same greedy continuation. Prompt
 * lengths below, equal to and above the batch, and a second prompt after decode steps (a batch
 * that starts mid-sequence). JVM backend and the first OpenCL device (PoCL in CI).
 */
class DevicePrefillTest {
    static final double VS_TOKEN_BY_TOKEN = 1e-5;
    /**
     * Batched over int8 blocks against token by token over int8 blocks: measured 1e-7 to 4e-7 (JVM,
     * PoCL), where the batched float-input matmuls against the int8 decode differ by about 1e-2.
     */
    static final double INT8_VS_TOKEN_BY_TOKEN = 1e-4;
    static final int CONTEXT = 96;
    static final int CONTINUATION = 6;

    @TempDir
    Path dir;

    /** (device, model, storage type or "as-is" for the safetensors' F32, prompt length). */
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String device : List.of("jvm", "opencl")) {
            for (String type : List.of("F32", "F16", "Q8_0")) {
                for (int length : new int[] {5, DevicePrefill.DEFAULT_BATCH, 37}) {
                    cases.add(Arguments.of(device, "llama_gqa", type, length));
                }
            }
            cases.add(Arguments.of(device, "qwen2_bias", "F32", 37));         // q/k/v biases
            cases.add(Arguments.of(device, "llama3_scaled_tied", "F32", 33)); // scaled RoPE, tied table; a batch of one at the end
        }
        return cases.stream();
    }

    private LlamaModel load(String name, String type) throws Exception {
        HfReference ref = HfReference.load(name);
        if (type.equals("F32")) {
            return LlamaModel.load(ref.folder());
        }
        Path gguf = dir.resolve(name + "-" + type + ".gguf");
        HfToGguf.convert(ref.folder(), gguf, GgmlType.valueOf(type));
        return LlamaModel.load(gguf);
    }

    private static int[] prompt(int length, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = r.nextInt(vocab);
        }
        return tokens;
    }

    @ParameterizedTest(name = "{0} {1} {2} prompt={3}")
    @MethodSource("cases")
    void batchedPrefillEqualsTokenByToken(String spec, String name, String type, int length) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        try (LlamaModel model = load(name, type);
             DeviceLlama batched = DeviceLlama.create(model, device, DecodeOptions.defaults(device, CONTEXT));
             DeviceLlama reference = DeviceLlama.create(model, device, DecodeOptions.defaults(device, CONTEXT), 0)) {
            String what = name + " " + type + " on " + spec + ", prompt of " + length;
            int[] prompt = prompt(length, model.config().vocabSize(), length);
            float[] expected = reference.prefill(prompt);
            float[] actual = batched.prefill(prompt);
            assertClose(expected, actual, what + ": logits after the prompt");
            assertEquals(length, batched.length());
            continueBoth(batched, reference, argmax(actual), what);

            // a second prompt mid-sequence: batches start at a position that is not 0
            int[] more = prompt(length + 3, model.config().vocabSize(), 99);
            assertClose(reference.prefill(more), batched.prefill(more), what + ": logits after a second prompt");
            assertEquals(batched.length(), reference.length());

            // greedy prefill: the argmax chosen on the device after the batches
            batched.reset();
            reference.reset();
            assertEquals(reference.prefillGreedy(prompt), batched.prefillGreedy(prompt), what + ": greedy token after the prompt");
        }
    }

    /**
     * Q8_0 over int8 blocks of every matmul input (CUDA's default), batched against the same
     * decode token by token: both quantize the same inputs (up to their float rounding, which could
     * move an input by one step of its block), so they agree far more closely than either does
     * with the float-input decode. Prompts of one partial batch and of three batches.
     */
    @ParameterizedTest(name = "{0} prompt={1}")
    @CsvSource({"jvm, 5", "jvm, 37", "opencl, 37"})
    void int8BlocksPrefillFollowsTheInt8BlocksDecode(String spec, int length) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        DecodeOptions int8 = DecodeOptions.defaults(device, CONTEXT).withGemv(DecodeOptions.GemvSplit.GROUPS_OF_ROWS)
                .withFusedLayerSteps(true).withLocalSize(16).withVectorLocalSize(16).withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS);
        try (LlamaModel model = load("llama_gqa", "Q8_0");
             DeviceLlama batched = DeviceLlama.create(model, device, int8);
             DeviceLlama reference = DeviceLlama.create(model, device, int8, 0)) {
            int[] prompt = prompt(length, model.config().vocabSize(), length);
            float[] expected = reference.prefill(prompt);
            float[] actual = batched.prefill(prompt);
            double err = HfReference.relativeError(actual, expected);
            System.out.printf("int8 blocks on %s, prompt of %d: batched against token by token %.2e%n", spec, length, err);
            assertTrue(err < INT8_VS_TOKEN_BY_TOKEN, spec + ", prompt of " + length + ": relative error " + err);
            assertEquals(argmax(expected), argmax(actual), spec + ": greedy token after the prompt");
        }
    }

    /** The greedy generator over a batched prefill yields the token-by-token generator's tokens. */
    @Test
    void greedyGenerationIsUnchangedOnOpenCl() throws Exception {
        Device device = DeviceLlamaTest.device("opencl");
        try (LlamaModel model = load("llama_gqa", "F16");
             DeviceLlama batched = DeviceLlama.create(model, device, DecodeOptions.defaults(device, CONTEXT));
             DeviceLlama reference = DeviceLlama.create(model, device, DecodeOptions.defaults(device, CONTEXT), 0)) {
            int[] prompt = prompt(40, model.config().vocabSize(), 7);
            int[] expected = new DeviceGenerator(reference).generate(prompt, GenerationOptions.greedy(12), t -> { }).tokens();
            int[] actual = new DeviceGenerator(batched).generate(prompt, GenerationOptions.greedy(12), t -> { }).tokens();
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
        }
    }

    @Test
    void aPromptPastTheContextAndABadTokenAreClearErrors() throws Exception {
        Device device = Devices.select("jvm");
        try (LlamaModel model = load("llama_gqa", "F32");
             DeviceLlama batched = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 20))) {
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> batched.prefill(new int[21]));
            assertTrue(full.getMessage().contains("context full: 20"), full.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> batched.prefill(new int[] {1, 256}));
            assertTrue(bad.getMessage().contains("outside the vocabulary of 256"), bad.getMessage());
            assertEquals(0, batched.length(), "a rejected prompt leaves the sequence empty");
            IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                    () -> DeviceLlama.create(model, device, DecodeOptions.defaults(device, 20), 33));
            assertTrue(batch.getMessage().contains("prefill batch must be in 1..32"), batch.getMessage());
        }
    }

    /** Decode steps on both models from the same token: logits stay together, greedy tokens equal. */
    private static void continueBoth(DeviceLlama batched, DeviceLlama reference, int first, String what) {
        int token = first;
        for (int i = 0; i < CONTINUATION; i++) {
            float[] expected = reference.forward(token);
            float[] actual = batched.forward(token);
            assertClose(expected, actual, what + ": decode step " + i + " after the prompt");
            assertEquals(argmax(expected), argmax(actual), what + ": greedy token of decode step " + i);
            token = argmax(actual);
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double err = HfReference.relativeError(actual, expected);
        assertTrue(err < VS_TOKEN_BY_TOKEN, what + ": relative error " + err);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
