package org.lte4j.model.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.llama.GenerationOptions;
import org.lte4j.model.llama.GenerationResult;
import org.lte4j.model.llama.Generator;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.sampling.Sampler;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * The device decode against two independent references: the JVM model ({@link LlamaModel#forward},
 * Vector API over the same weights) step by step, and transformers' logits and greedy ids
 * (scripts/hf_reference.py). Runs on the JVM backend (the kernels as Java) and on the first
 * OpenCL device (PoCL in CI); the OpenCL cases are skipped, visibly, without one.
 */
class DeviceLlamaTest {
    /** Same weights, same arithmetic in a different order: fp32 rounding only. */
    static final double VS_JVM = 1e-5;
    /** Int8 blocks of every GEMV input against its floats: each input moves by up to half a step, 1/254 of its block's largest. */
    static final double INT8_VS_FLOATS = 0.05;
    /** The JVM model reproduces transformers to ~1e-6 on these models; the device must stay that close. */
    static final double VS_TRANSFORMERS = 1e-5;

    static final List<String> MODELS = List.of("llama_gqa", "llama3_scaled_tied", "qwen2_bias", "mistral_mqa", "llama_gqa_bf16", "qwen2_fp16");

    @TempDir
    Path dir;

    static Stream<Arguments> devicesAndModels() {
        List<Arguments> cases = new ArrayList<>();
        for (String device : List.of("jvm", "opencl")) {
            for (String model : MODELS) {
                cases.add(Arguments.of(device, model));
            }
        }
        return cases.stream();
    }

    static Device device(String spec) {
        try {
            return Devices.select(spec);
        } catch (IllegalArgumentException e) {
            Assumptions.abort("no " + spec + " device, skipping: " + e.getMessage());
            return null;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndModels")
    void logitsMatchTheJvmModelAndTransformers(String spec, String name) throws Exception {
        Device device = device(spec);
        HfReference ref = HfReference.load(name);
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 64))) {
            LlamaState state = model.newState(64);
            double worstVsJvm = 0;
            double worstVsHf = 0;
            for (int t = 0; t < ref.inputIds().length; t++) {
                float[] expected = model.forward(state, ref.inputIds()[t]);
                float[] actual = onDevice.forward(ref.inputIds()[t]);
                double vsJvm = HfReference.relativeError(actual, expected);
                assertTrue(vsJvm < VS_JVM, name + " on " + spec + ", position " + t + ": relative error " + vsJvm + " against the JVM model");
                double vsHf = HfReference.relativeError(actual, ref.logits()[t]);
                assertTrue(vsHf < VS_TRANSFORMERS, name + " on " + spec + ", position " + t + ": relative error " + vsHf + " against transformers");
                worstVsJvm = Math.max(worstVsJvm, vsJvm);
                worstVsHf = Math.max(worstVsHf, vsHf);
            }
            System.out.printf("%s on %s: worst relative error %.2e against the JVM model, %.2e against transformers%n",
                    name, spec, worstVsJvm, worstVsHf);
            assertEquals(ref.inputIds().length, onDevice.length());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndModels")
    void greedyIdsMatchTransformers(String spec, String name) throws Exception {
        Device device = device(spec);
        HfReference ref = HfReference.load(name);
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 64))) {
            GenerationResult r = new DeviceGenerator(onDevice).generate(ref.inputIds(), GenerationOptions.greedy(ref.greedy().length), t -> { });
            assertArrayEquals(ref.greedy(), r.tokens(), name + " on " + spec);
            if (spec.equals("jvm")) {
                return; // the reset below is device-independent host logic, checked where steps are cheap
            }
            // a second sequence on the same plan starts from a clean cache
            GenerationResult again = new DeviceGenerator(onDevice).generate(ref.inputIds(), GenerationOptions.greedy(ref.greedy().length), t -> { });
            assertArrayEquals(ref.greedy(), again.tokens(), name + " on " + spec + ", second sequence");
        }
    }

    /**
     * The split attention kernel past several runs of positions (a context of 700 is three runs
     * of at least 256): every step's logits against the JVM model's, the steps beyond 256 and 512
     * being the ones where a head's runs are combined. On OpenCL (PoCL here): the kernel's JVM
     * run is tested with the kernels, and 600 steps of the JVM backend's interpreted groups take
     * half a minute.
     */
    @Test
    void splitPositionAttentionMatchesTheJvmModelOverALongContext() throws Exception {
        String spec = "opencl";
        Device device = device(spec);
        HfReference ref = HfReference.load("llama_gqa");
        int context = 700;
        int steps = 600;
        DecodeOptions options = DecodeOptions.defaults(device, context).withAttention(DecodeOptions.AttentionKernel.SPLIT_POSITIONS);
        try (LlamaModel stored = LlamaModel.load(ref.folder())) {
            // the test model declares 256 positions; its RoPE has no scaling, so longer is well defined
            LlamaConfig c = stored.config();
            LlamaModel model = new LlamaModel(new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(),
                    c.nKvHeads(), c.headDim(), c.vocabSize(), context, c.rmsEps(), c.ropeTheta(), c.ropeScaling(), c.tiedEmbeddings(),
                    c.qkvBias()), stored.weights(), stored.source());
            assertEquals(null, c.ropeScaling());
            try (DeviceLlama onDevice = DeviceLlama.create(model, device, options)) {
                decodeAlongTheJvmModel(model, onDevice, context, steps, spec);
            }
        }
    }

    /** {@code steps} tokens through both, every step's logits compared. */
    private static void decodeAlongTheJvmModel(LlamaModel model, DeviceLlama onDevice, int context, int steps, String spec) {
        LlamaState state = model.newState(context);
        int vocab = model.config().vocabSize();
        for (int t = 0; t < steps; t++) {
            int token = (7 + 13 * t) % vocab;
            float[] expected = model.forward(state, token);
            float[] actual = onDevice.forward(token);
            double vsJvm = HfReference.relativeError(actual, expected);
            assertTrue(vsJvm < VS_JVM, "llama_gqa on " + spec + ", position " + t + ": relative error " + vsJvm + " against the JVM model");
        }
    }

    /**
     * GGUF storage types through the device kernels: F16 and Q8_0 as stored, Q4_0 widened to Q8_0.
     * The JVM model computes on the very same quantised values, so the tolerance stays tight.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypes")
    void quantisedGgufMatchesTheJvmModel(String spec, String type) throws Exception {
        Device device = device(spec);
        HfReference ref = HfReference.load("llama_gqa");
        Path gguf = dir.resolve("m.gguf");
        HfToGguf.convert(ref.folder(), gguf, GgmlType.valueOf(type));
        try (LlamaModel model = LlamaModel.load(gguf);
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 64))) {
            assertEquals(GgmlType.valueOf(type), model.layers().get(0).wq().type());
            LlamaState state = model.newState(64);
            for (int t = 0; t < ref.inputIds().length; t++) {
                float[] expected = model.forward(state, ref.inputIds()[t]);
                double err = HfReference.relativeError(onDevice.forward(ref.inputIds()[t]), expected);
                assertTrue(err < VS_JVM, type + " on " + spec + ", position " + t + ": relative error " + err);
            }
        }
    }

    /**
     * An fp16 model (Qwen2: q/k/v biases) and a Q8_0 GGUF decode to the same logits with the
     * layer steps fused into the GEMVs as with every step its own kernel, and the fused step
     * really is five launches per layer for fp16 and six for Q8_0 (whose FFN norms apart), plus
     * the embedding row and the output norm, logits and argmax.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"jvm, F16", "opencl, F16", "jvm, Q8_0", "opencl, Q8_0"})
    void fusedLayersMatchTheSeparateSteps(String spec, String type) throws Exception {
        Device device = device(spec);
        HfReference ref = HfReference.load(type.equals("F16") ? "qwen2_fp16" : "llama_gqa");
        Path source = ref.folder();
        if (type.equals("Q8_0")) {
            source = dir.resolve("q8.gguf");
            HfToGguf.convert(ref.folder(), source, GgmlType.Q8_0);
        }
        // the work-group GEMVs explicitly: CPU OpenCL defaults to the barrier-free ones, unfused
        DecodeOptions fused = DecodeOptions.defaults(device, 64).withGemv(DecodeOptions.GemvSplit.GROUPS_OF_ROWS)
                .withFusedLayerSteps(true).withProfiling(true);
        try (LlamaModel model = LlamaModel.load(source);
             DeviceLlama together = DeviceLlama.create(model, device, fused);
             DeviceLlama apart = DeviceLlama.create(model, device, fused.withFusedLayerSteps(false))) {
            int layers = model.config().nLayers();
            for (int t = 0; t < ref.inputIds().length; t++) {
                float[] expected = apart.forward(ref.inputIds()[t]);
                float[] actual = together.forward(ref.inputIds()[t]);
                double err = HfReference.relativeError(actual, expected);
                assertTrue(err < VS_JVM, spec + ", position " + t + ": relative error " + err);
                assertEquals((type.equals("F16") ? 5 : 6) * layers + 4, kernelLaunches(together), "fused launches per step");
                assertTrue(kernelLaunches(apart) > 10 * layers, "separate steps: " + kernelLaunches(apart) + " launches");
            }
        }
    }

    /**
     * A Q8_0 model whose fused layers multiply int8 blocks of their inputs (GGML's q8_0 x q8_0)
     * follows the float-input decode within the inputs' rounding, picks the same greedy tokens,
     * and runs nine launches a layer (three quantizations, one per GEMV input the norm does not
     * quantize, and one norm quantizing). The JVM run of the same kernels and PoCL's agree.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jvm", "opencl"})
    void int8BlocksFollowTheFloatInputDecode(String spec) throws Exception {
        Device device = device(spec);
        HfReference ref = HfReference.load("llama_gqa");
        Path gguf = dir.resolve("q8.gguf");
        HfToGguf.convert(ref.folder(), gguf, GgmlType.Q8_0);
        DecodeOptions floats = DecodeOptions.defaults(device, 64).withGemv(DecodeOptions.GemvSplit.GROUPS_OF_ROWS)
                .withFusedLayerSteps(true).withLocalSize(16).withVectorLocalSize(16).withProfiling(true)
                .withQ8_0Input(DecodeOptions.Q8_0Input.FLOATS);
        try (LlamaModel model = LlamaModel.load(gguf);
             DeviceLlama overFloats = DeviceLlama.create(model, device, floats);
             DeviceLlama overInt8 = DeviceLlama.create(model, device, floats.withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS))) {
            double worst = 0;
            for (int t = 0; t < ref.inputIds().length; t++) {
                float[] expected = overFloats.forward(ref.inputIds()[t]);
                float[] actual = overInt8.forward(ref.inputIds()[t]);
                worst = Math.max(worst, HfReference.relativeError(actual, expected));
                assertEquals(Sampler.argmax(expected), Sampler.argmax(actual), spec + ", position " + t + ": greedy token");
                assertEquals(9 * model.config().nLayers() + 4, kernelLaunches(overInt8), "launches per step over int8 blocks");
            }
            assertTrue(worst > 0 && worst < INT8_VS_FLOATS, spec + ": relative error " + worst + " against the float-input decode");
        }
    }

    /**
     * A Q8_0 file whose FFN downs are F16 (a mixed quantization) decodes over int8 blocks where a
     * step's matrices are all Q8_0 (attention, logits: five launches and two) and its FFN over
     * floats, unfused (six launches: its matrices differ in format), following the float-input
     * decode as above.
     */
    @Test
    void aMixedFileDecodesOverInt8BlocksWhereItsMatricesAreQ8_0() throws Exception {
        Device device = device("jvm");
        HfReference ref = HfReference.load("llama_gqa");
        Path q8 = dir.resolve("q8.gguf");
        Path mixed = dir.resolve("mixed.gguf");
        HfToGguf.convert(ref.folder(), q8, GgmlType.Q8_0);
        try (GgufFile source = GgufFile.open(q8)) {
            GgufWriter writer = new GgufWriter().putAll(source);
            for (GgufTensorInfo info : source.tensorInfos()) {
                Tensor t = source.tensor(info.name());
                if (info.name().endsWith("ffn_down.weight")) {
                    writer.addTensor(info.name(), GgmlType.F16, t.shape(), t.toFloats());
                } else {
                    writer.addTensor(t);
                }
            }
            writer.write(mixed);
        }
        DecodeOptions floats = DecodeOptions.defaults(device, 64).withLocalSize(16).withVectorLocalSize(16).withProfiling(true);
        try (LlamaModel model = LlamaModel.load(mixed);
             DeviceLlama overFloats = DeviceLlama.create(model, device, floats);
             DeviceLlama overInt8 = DeviceLlama.create(model, device, floats.withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS))) {
            assertEquals(GgmlType.F16, model.layers().get(0).wDown().type());
            for (int t = 0; t < ref.inputIds().length; t++) {
                float[] expected = overFloats.forward(ref.inputIds()[t]);
                float[] actual = overInt8.forward(ref.inputIds()[t]);
                double err = HfReference.relativeError(actual, expected);
                assertTrue(err > 0 && err < INT8_VS_FLOATS, "position " + t + ": relative error " + err);
                assertEquals(11 * model.config().nLayers() + 4, kernelLaunches(overInt8),
                        overInt8.lastProfile().records().stream().map(ProfileRecord::label).toList().toString());
            }
        }
    }

    private static long kernelLaunches(DeviceLlama m) {
        return m.lastProfile().records().stream().filter(r -> r.kind() == ProfileRecord.Kind.KERNEL).count();
    }

    static Stream<Arguments> devicesAndTypes() {
        return Stream.of("jvm", "opencl").flatMap(d -> Stream.of("F16", "Q8_0", "Q4_0").map(t -> Arguments.of(d, t)));
    }

    /** Sampling downloads logits and draws from them as the JVM generator does: same seed, same tokens. */
    @Test
    void sampledGenerationEqualsTheJvmGenerator() throws Exception {
        HfReference ref = HfReference.load("qwen2_bias");
        Device device = Devices.select("jvm");
        GenerationOptions options = GenerationOptions.greedy(6).withSampling(0.8f, 0.9f, 1234);
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 32))) {
            int[] expected = new Generator(model).generate(ref.inputIds(), options, t -> { }).tokens();
            int[] actual = new DeviceGenerator(onDevice).generate(ref.inputIds(), options, t -> { }).tokens();
            assertArrayEquals(expected, actual);
        }
    }

    /** Generation ends on a stop token (emitted), and the context bounds the sequence, as on the JVM. */
    @Test
    void generationStopsAtAStopTokenAndAtAFullContext() throws Exception {
        Device device = device("opencl");
        HfReference ref = HfReference.load("llama_gqa");
        int stop = ref.greedy()[2];
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, ref.inputIds().length + 3))) {
            GenerationResult stopped = new DeviceGenerator(onDevice).generate(ref.inputIds(),
                    GenerationOptions.greedy(8).withStopTokens(Set.of(stop)), t -> { });
            int firstStop = 0;
            while (ref.greedy()[firstStop] != stop) {
                firstStop++;
            }
            assertArrayEquals(Arrays.copyOf(ref.greedy(), firstStop + 1), stopped.tokens());
            assertEquals(GenerationResult.StopReason.STOP_TOKEN, stopped.stopReason());
            GenerationResult full = new DeviceGenerator(onDevice).generate(ref.inputIds(), GenerationOptions.greedy(8), t -> { });
            assertArrayEquals(Arrays.copyOf(ref.greedy(), 4), full.tokens(), "3 steps of cache left after the prompt: 4 tokens");
            assertEquals(GenerationResult.StopReason.CONTEXT_FULL, full.stopReason());
        }
    }

    /** Every matrix once (the tied table too), norms, one embedding row; fp32 model, so 4 bytes a weight. */
    @Test
    void weightBytesPerTokenCountsWhatAStepReads() throws Exception {
        HfReference ref = HfReference.load("llama3_scaled_tied");
        Device device = Devices.select("jvm");
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 8))) {
            LlamaConfig c = model.config();
            assertTrue(c.tiedEmbeddings());
            long perLayer = (long) c.dim() * (c.qDim() + 2L * c.kvDim()) + (long) c.qDim() * c.dim() + 3L * c.dim() * c.hiddenDim() + 2L * c.dim();
            long expected = 4 * (c.nLayers() * perLayer + (long) c.vocabSize() * c.dim() + c.dim() + c.dim());
            assertEquals(expected, onDevice.weightBytesPerToken());
        }
    }

    @Test
    void badTokensAndAFullContextAreClearErrors() throws Exception {
        HfReference ref = HfReference.load("llama_gqa");
        Device device = Devices.select("jvm");
        try (LlamaModel model = LlamaModel.load(ref.folder());
             DeviceLlama onDevice = DeviceLlama.create(model, device, DecodeOptions.defaults(device, 2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> onDevice.forward(256));
            assertTrue(e.getMessage().contains("outside the vocabulary of 256"), e.getMessage());
            onDevice.forwardGreedy(1);
            onDevice.forwardGreedy(2);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> onDevice.forwardGreedy(3));
            assertTrue(full.getMessage().contains("context full: 2"), full.getMessage());
        }
    }
}
