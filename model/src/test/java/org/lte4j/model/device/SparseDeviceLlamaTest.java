package org.lte4j.model.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.llama.GenerationOptions;
import org.lte4j.model.llama.GenerationResult;
import org.lte4j.model.llama.Generator;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.sparse.Moefy;
import org.lte4j.model.sparse.SparsityRecorder;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * The device LTE decode ({@link SparseFeedForward} in a {@link DeviceLlama}) against independent
 * references: the JVM {@link LteModel} on the same LTE file (logits, greedy tokens, active experts
 * per layer and token), a double-precision dense FFN with the inactive experts' neurons zeroed,
 * and the dense device model at threshold 0. On the JVM backend and the first OpenCL device
 * (PoCL in CI; skipped visibly without one).
 */
class SparseDeviceLlamaTest {
    private static final int SIZE = 32;
    private static final int[] TOKENS = {1, 17, 42, 99, 3, 150, 7, 200, 11, 64};

    @TempDir
    Path dir;

    static Stream<Arguments> devicesAndTypes() {
        return Stream.of("jvm", "opencl").flatMap(d -> Stream.of("F32", "F16", "Q8_0", "Q4_0").map(t -> Arguments.of(d, t)));
    }

    static Stream<Arguments> devicesAndTypesShort() {
        return Stream.of("jvm", "opencl").flatMap(d -> Stream.of("F32", "F16", "Q8_0").map(t -> Arguments.of(d, t)));
    }

    /** Every device and type over float inputs; Q8_0 over int8 blocks of its inputs too. */
    static Stream<Arguments> normFoldedCases() {
        return Stream.concat(devicesAndTypesShort().map(a -> Arguments.of(a.get()[0], a.get()[1], DecodeOptions.Q8_0Input.FLOATS)),
                Stream.of("jvm", "opencl").map(d -> Arguments.of(d, "Q8_0", DecodeOptions.Q8_0Input.INT8_BLOCKS)));
    }

    private Path lteFile(GgmlType type) throws Exception {
        Path folder = Path.of(SparseDeviceLlamaTest.class.getResource("/hf/llama_gqa/config.json").toURI()).getParent();
        Path dense = dir.resolve("dense-" + type + ".gguf");
        HfToGguf.convert(folder, dense, type);
        Path lte = dir.resolve("lte-" + type + ".gguf");
        Moefy.run(dense, lte, SIZE, 9, ProgressListener.SILENT);
        return lte;
    }

    /** Logits and active experts per layer, token by token, equal the JVM LteModel's. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypes")
    void logitsAndActiveExpertsMatchTheJvmLteModel(String spec, String type) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        try (LteModel lte = LteModel.load(lteFile(GgmlType.valueOf(type)));
             SparseDeviceLlama onDevice = SparseDeviceLlama.create(lte, device, DecodeOptions.defaults(device, 64))) {
            LlamaState state = lte.newState(64);
            SparsityRecorder deviceRecorder = new SparsityRecorder(lte.config().nLayers(), lte.config().hiddenDim());
            double worst = 0;
            for (int t = 0; t < TOKENS.length; t++) {
                float[] expected = lte.forward(state, TOKENS[t]);
                float[] actual = onDevice.llama().forward(TOKENS[t]);
                double err = HfReference.relativeError(actual, expected);
                assertTrue(err < DeviceLlamaTest.VS_JVM, type + " on " + spec + ", position " + t + ": relative error " + err);
                worst = Math.max(worst, err);
                onDevice.recordLastStep(deviceRecorder);
            }
            SparsityRecorder jvm = lte.recorder();
            assertEquals(TOKENS.length, jvm.tokens());
            boolean someSkipped = false;
            for (int t = 0; t < TOKENS.length; t++) {
                for (int l = 0; l < jvm.layers(); l++) {
                    assertEquals(jvm.skippedNeurons(t, l), deviceRecorder.skippedNeurons(t, l), "token " + t + " layer " + l);
                    someSkipped |= jvm.skippedNeurons(t, l) > 0;
                }
            }
            assertTrue(someSkipped, "the test model skips some experts, so sparsity is exercised");
            System.out.printf("LTE %s on %s: worst relative error %.2e against the JVM LteModel, sparsity %.2f%n", type, spec, worst,
                    jvm.overallSparsity());
        }
    }

    /**
     * A prompt of two batches, the second partial (DevicePrefill with the routers): the logits
     * after it equal the JVM LteModel's token-by-token forward, and the active experts per layer
     * left for the step's sparsity report are its last token's.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypesShort")
    void batchedPromptMatchesTheJvmLteModelTokenByToken(String spec, String type) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        try (LteModel lte = LteModel.load(lteFile(GgmlType.valueOf(type)));
             SparseDeviceLlama onDevice = SparseDeviceLlama.create(lte, device, DecodeOptions.defaults(device, 64))) {
            int[] prompt = new int[DevicePrefill.DEFAULT_BATCH + 5];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 53 + 5) % lte.config().vocabSize();
            }
            LlamaState state = lte.newState(64);
            float[] expected = null;
            for (int t : prompt) {
                expected = lte.forward(state, t);
            }
            float[] actual = onDevice.llama().prefill(prompt);
            double err = HfReference.relativeError(actual, expected);
            System.out.printf("LTE %s on %s: batched prompt against the JVM LteModel token by token %.2e%n", type, spec, err);
            assertTrue(err < DeviceLlamaTest.VS_JVM, type + " on " + spec + ": relative error " + err);
            SparsityRecorder deviceRecorder = new SparsityRecorder(lte.config().nLayers(), lte.config().hiddenDim());
            onDevice.recordLastStep(deviceRecorder);
            SparsityRecorder jvm = lte.recorder();
            int last = prompt.length - 1;
            boolean someSkipped = false;
            for (int l = 0; l < jvm.layers(); l++) {
                assertEquals(jvm.skippedNeurons(last, l), deviceRecorder.skippedNeurons(0, l), "layer " + l);
                someSkipped |= jvm.skippedNeurons(last, l) > 0;
            }
            assertTrue(someSkipped, "the last prompt token skips some experts, so the masking is exercised");
        }
    }

    /**
     * Q8_0 over int8 blocks (CUDA's default, here on the JVM and PoCL with the work-group kernels):
     * a prompt of two batches against the same decode token by token, which quantizes the same
     * inputs, with the same experts active in every layer for the last token.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jvm", "opencl"})
    void int8BlocksBatchedPromptFollowsTheInt8BlocksDecode(String spec) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        DecodeOptions int8 = DecodeOptions.defaults(device, 64).withGemv(DecodeOptions.GemvSplit.GROUPS_OF_ROWS).withFusedLayerSteps(true)
                .withLocalSize(16).withVectorLocalSize(16).withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS);
        try (LteModel lte = LteModel.load(lteFile(GgmlType.Q8_0));
             SparseDeviceLlama batched = SparseDeviceLlama.create(lte, device, int8);
             SparseDeviceLlama reference = SparseDeviceLlama.create(lte, device, int8, 0)) {
            int[] prompt = new int[DevicePrefill.DEFAULT_BATCH + 5];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 53 + 5) % lte.config().vocabSize();
            }
            float[] expected = reference.llama().prefill(prompt);
            float[] actual = batched.llama().prefill(prompt);
            double err = HfReference.relativeError(actual, expected);
            System.out.printf("LTE Q8_0 over int8 blocks on %s: batched prompt against token by token %.2e%n", spec, err);
            assertTrue(err < DevicePrefillTest.INT8_VS_TOKEN_BY_TOKEN, spec + ": relative error " + err);
            int[] active = batched.readActiveCounts();
            assertArrayEquals(reference.readActiveCounts(), active, spec + ": active experts of the last token");
            int experts = batched.feedForward().experts();
            assertTrue(Arrays.stream(active).anyMatch(c -> c < experts), "some experts are skipped, so the masking is exercised");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypesShort")
    void greedyTokensMatchTheJvmLteModel(String spec, String type) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        int[] prompt = {1, 17, 42};
        try (LteModel lte = LteModel.load(lteFile(GgmlType.valueOf(type)));
             SparseDeviceLlama onDevice = SparseDeviceLlama.create(lte, device, DecodeOptions.defaults(device, 64))) {
            GenerationResult expected = new Generator(lte).generate(prompt, GenerationOptions.greedy(12), t -> { });
            GenerationResult actual = new DeviceGenerator(onDevice.llama()).generate(prompt, GenerationOptions.greedy(12), t -> { });
            assertArrayEquals(expected.tokens(), actual.tokens(), type + " on " + spec);
        }
    }

    /**
     * The FFN block alone: for routers that switch exactly a chosen set of experts on, the device
     * output is the dense FFN (double, from the stored weights) with the other experts' neurons
     * zeroed, at sparsities from 1 to 0, through the work-group kernels and the item-per-row ones (CPU OpenCL's).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypesShort")
    void sparseFfnIsTheDenseFfnWithInactiveExpertsZeroed(String spec, String type) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        int[][] activeSets = {{}, {2}, {0, 3}, {1, 2, 4}, {0, 1, 2, 3, 4}};
        try (LlamaModel model = LlamaModel.load(lteFile(GgmlType.valueOf(type)))) {
            int dim = model.config().dim();
            int layers = model.config().nLayers();
            int experts = model.config().hiddenDim() / SIZE;
            SplittableRandom rnd = new SplittableRandom(5);
            for (int[] active : activeSets) {
                float[] x = new float[dim];
                for (int i = 0; i < dim; i++) {
                    x[i] = (float) (rnd.nextGaussian() * 1.5);
                }
                float[] router = routerFor(x, experts, active);
                for (DecodeOptions.GemvSplit split : DecodeOptions.GemvSplit.values()) { // work-group and item-per-row kernels
                    try (ExpertWeights ew = ExpertWeights.of(model, SIZE, Collections.nCopies(layers, router), split)) {
                        for (int l = 0; l < layers; l++) {
                            int local = DecodeOptions.defaults(device, 8).localSize();
                            float[] out = runFfn(device, model, l, x, w -> new SparseFeedForward(model, ew, 0.5f, w, local, split, 3));
                            double[] ref = maskedDenseFfn(model.layers().get(l), x, active);
                            double diff = 0;
                            double scale = 1e-30;
                            for (int i = 0; i < dim; i++) {
                                diff = Math.max(diff, Math.abs(out[i] - ref[i]));
                                scale = Math.max(scale, Math.abs(ref[i]));
                            }
                            if (active.length == 0) {
                                assertArrayEquals(new float[dim], out, 0f, split + ", no expert active: zero output");
                            } else {
                                assertTrue(diff / scale < 1e-5, type + " on " + spec + ", " + split + ", experts " + Arrays.toString(active)
                                        + ", layer " + l + ": relative error " + diff / scale);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The block with the FFN's RMSNorm folded in, as the decoder appends it: for fp16 and Q8_0
     * four tasks (router, compaction, gate/up, down) that add the
     * dense FFN of {@code RMSNorm(x) * normWeight} (double, from the stored weights) with the
     * other experts' neurons zeroed into the residual x; for F32 nothing appended (the decoder
     * norms first). Residuals of very different sizes
     * (0.02 to 30 per element) give the same FFN as their normed input. Routers put the logits at
     * +-4 for the normed input (which experts the folded norm turns on near the threshold is what
     * the tests against the JVM LteModel check).
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("normFoldedCases")
    void normFoldedSparseFfnAddsTheMaskedDenseFfnOfTheNormedResidual(String spec, String type, DecodeOptions.Q8_0Input input)
            throws Exception {
        boolean int8 = input == DecodeOptions.Q8_0Input.INT8_BLOCKS;
        Device device = DeviceLlamaTest.device(spec);
        int[][] activeSets = {{}, {2}, {0, 3}, {1, 2, 4}, {0, 1, 2, 3, 4}};
        double[] scales = {0.02, 1, 30};
        try (LlamaModel model = LlamaModel.load(lteFile(GgmlType.valueOf(type)))) {
            int dim = model.config().dim();
            int layers = model.config().nLayers();
            int experts = model.config().hiddenDim() / SIZE;
            float eps = model.config().rmsEps();
            SplittableRandom rnd = new SplittableRandom(7);
            for (int k = 0; k < activeSets.length; k++) {
                int[] active = activeSets[k];
                float[] x = new float[dim];
                float[] normWeight = new float[dim];
                double squares = 0;
                for (int i = 0; i < dim; i++) {
                    x[i] = (float) (rnd.nextGaussian() * scales[k % scales.length]);
                    normWeight[i] = (float) (0.5 + rnd.nextDouble());
                    squares += (double) x[i] * x[i];
                }
                double scale = 1 / Math.sqrt(squares / dim + eps);
                float[] xn = new float[dim];
                for (int i = 0; i < dim; i++) {
                    xn[i] = (float) (x[i] * scale * normWeight[i]);
                }
                float[] router = routerFor(xn, experts, active);
                try (ExpertWeights ew = ExpertWeights.of(model, SIZE, Collections.nCopies(layers, router),
                        DecodeOptions.GemvSplit.GROUPS_OF_ROWS)) {
                    for (int l = 0; l < layers; l++) {
                        int layer = l;
                        int local = Math.max(DecodeOptions.defaults(device, 8).localSize(), int8 ? DecodeOptions.MIN_INT8_BLOCKS_LOCAL : 1);
                        try (DeviceWeights weights = new DeviceWeights();
                             SparseFeedForward ffn = new SparseFeedForward(model, ew, 0.5f, weights, local,
                                     DecodeOptions.GemvSplit.GROUPS_OF_ROWS, 3, 1, input);
                             FloatArray residual = FloatArray.of(x);
                             FloatArray norm = FloatArray.of(normWeight)) {
                            TaskGraph g = new TaskGraph("ffn").transferToDevice(DataTransferMode.EVERY_EXECUTION, residual, norm);
                            boolean folded = ffn.appendNormingAndAddingInto(g, layer, residual, norm, eps);
                            if (type.equals("F32")) {
                                assertTrue(!folded && g.snapshot().tasks().isEmpty(), type + ": the decoder norms first");
                                continue;
                            }
                            assertTrue(folded, type + " folds the norm in");
                            assertEquals(int8 ? 5 : 4, g.snapshot().tasks().size(),
                                    "router, compaction (quantizing the input), gate/up, (quantizing the hidden vector,) down: " + g.snapshot().tasks());
                            g.transferToHost(DataTransferMode.EVERY_EXECUTION, residual);
                            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                                plan.execute();
                            }
                            double[] ffnOut = maskedDenseFfn(model.layers().get(layer), xn, active);
                            double diff = 0;
                            double size = 1e-30;
                            for (int i = 0; i < dim; i++) { // less the rounding of the add into x[i]
                                diff = Math.max(diff, Math.abs(residual.get(i) - (x[i] + ffnOut[i])) - 0x1p-23 * Math.abs(x[i] + ffnOut[i]));
                                size = Math.max(size, Math.abs(ffnOut[i]));
                            }
                            if (active.length == 0) {
                                assertArrayEquals(x, residual.toHeapArray(), 0f, "no expert active: residual unchanged");
                            } else {
                                assertTrue(diff / size < (int8 ? DeviceLlamaTest.INT8_VS_FLOATS : 1e-5), spec + ", experts "
                                        + Arrays.toString(active) + ", layer " + layer + ": relative error " + diff / size);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * For CPU OpenCL's item-per-row kernels the experts' weights hold the model's own Q8_0 down
     * expert-major: its quants transposed, its block scales widened exactly to fp32; a decoder of
     * the other split given such weights says what to do instead of failing inside a kernel.
     */
    @Test
    void itemPerRowExpertWeightsHoldTheDownsQuantsAndScalesExpertMajor() throws Exception {
        try (LteModel lte = LteModel.load(lteFile(GgmlType.Q8_0));
             ExpertWeights cpu = ExpertWeights.of(lte, DecodeOptions.GemvSplit.ITEM_PER_ROW);
             ExpertWeights gpu = ExpertWeights.of(lte, DecodeOptions.GemvSplit.GROUPS_OF_ROWS)) {
            ExpertWeights.Down mine = cpu.down(0);
            assertEquals(ExpertWeights.DownLayout.EXPERT_MAJOR_Q8_0, mine.layout());
            assertEquals(ExpertWeights.DownLayout.ROWS_Q8_0_SPLIT, gpu.down(0).layout());
            Tensor model = lte.layers().get(0).wDown();
            int dim = model.rows();
            int hidden = model.cols();
            ByteArray quants = (ByteArray) mine.data();
            FloatArray scales = (FloatArray) mine.scales();
            assertEquals((long) hidden * dim + 4L * hidden / 32 * dim, mine.bytes(), "a byte per weight and a float per block");
            long rowBytes = 34L * hidden / 32;
            for (int r : new int[] {0, 2, dim - 1}) {
                for (int c : new int[] {0, 33, hidden - 1}) {
                    long block = r * rowBytes + c / 32 * 34L;
                    assertEquals(model.segment().get(ValueLayout.JAVA_BYTE, block + 2 + c % 32), quants.get((long) c * dim + r),
                            "quant (" + r + ", " + c + ")");
                    assertEquals(Float.float16ToFloat(model.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, block)),
                            scales.get((long) c / 32 * dim + r), "scale of (" + r + ", " + c + ")");
                    assertEquals(model.get((long) r * hidden + c), quants.get((long) c * dim + r) * scales.get((long) c / 32 * dim + r),
                            "weight (" + r + ", " + c + ")");
                }
            }
            try (DeviceWeights weights = new DeviceWeights();
                 SparseFeedForward ffn = new SparseFeedForward(lte, cpu, 0.5f, weights, 4, DecodeOptions.GemvSplit.GROUPS_OF_ROWS, 3);
                 FloatArray in = new FloatArray(lte.config().dim());
                 FloatArray out = new FloatArray(lte.config().dim())) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> ffn.append(new TaskGraph("ffn"), 0, in, out));
                assertTrue(e.getMessage().contains("GEMV split"), e.getMessage());
            }
        }
    }

    /** Threshold 0 turns every expert on: the sparse device model computes the dense device model's logits. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndTypesShort")
    void thresholdZeroEqualsTheDenseModel(String spec, String type) throws Exception {
        Device device = DeviceLlamaTest.device(spec);
        try (LteModel lte = LteModel.load(lteFile(GgmlType.valueOf(type)));
             ExpertWeights ew = ExpertWeights.of(lte, DecodeOptions.defaults(device, 64).gemv());
             SparseDeviceLlama all = SparseDeviceLlama.create(lte, ew, 0f, device, DecodeOptions.defaults(device, 64));
             DeviceLlama dense = DeviceLlama.create(lte, device, DecodeOptions.defaults(device, 64))) {
            for (int t = 0; t < TOKENS.length; t++) {
                float[] expected = dense.forward(TOKENS[t]);
                float[] actual = all.llama().forward(TOKENS[t]);
                double err = HfReference.relativeError(actual, expected);
                assertTrue(err < DeviceLlamaTest.VS_JVM, type + " on " + spec + ", position " + t + ": relative error " + err);
                int[] counts = all.readActiveCounts();
                for (int c : counts) {
                    assertEquals(lte.experts(), c, "threshold 0: every expert active");
                }
            }
        }
    }

    /**
     * A layer that routes twice (the benchmark's measure of routing inside a step) appends one more
     * router and compaction and computes the same FFN, bit for bit, with the work-group and the
     * item-per-row kernels, the norm folded in (fp16, Q8_0) or not.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "F16", "Q8_0"})
    void routingTwiceAddsARouterAndACompactionAndChangesNothing(String type) throws Exception {
        Device device = new JvmDevice();
        try (LlamaModel model = LlamaModel.load(lteFile(GgmlType.valueOf(type)))) {
            int dim = model.config().dim();
            int experts = model.config().hiddenDim() / SIZE;
            float[] x = new float[dim];
            SplittableRandom rnd = new SplittableRandom(11);
            for (int i = 0; i < dim; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] router = routerFor(x, experts, new int[] {0, 2});
            int local = DecodeOptions.defaults(device, 8).localSize();
            for (DecodeOptions.GemvSplit split : DecodeOptions.GemvSplit.values()) {
                try (ExpertWeights ew = ExpertWeights.of(model, SIZE, Collections.nCopies(model.config().nLayers(), router), split)) {
                    float[] once = runFfn(device, model, 0, x, w -> new SparseFeedForward(model, ew, 0.5f, w, local, split, 3, 1,
                            DecodeOptions.Q8_0Input.FLOATS));
                    float[] twice = runFfn(device, model, 0, x, w -> new SparseFeedForward(model, ew, 0.5f, w, local, split, 3, 2,
                            DecodeOptions.Q8_0Input.FLOATS));
                    assertArrayEquals(once, twice, 0f, type + ", " + split);
                    int[] tasks = new int[3];
                    for (int passes = 1; passes <= 2; passes++) {
                        try (DeviceWeights weights = new DeviceWeights();
                             SparseFeedForward ffn = new SparseFeedForward(model, ew, 0.5f, weights, local, split, 3, passes,
                                     DecodeOptions.Q8_0Input.FLOATS);
                             FloatArray in = FloatArray.of(x);
                             FloatArray out = new FloatArray(dim)) {
                            TaskGraph g = new TaskGraph("ffn");
                            ffn.append(g, 0, in, out);
                            tasks[passes] = g.snapshot().tasks().size();
                        }
                    }
                    assertEquals(tasks[1] + 2, tasks[2], type + ", " + split + ": a router and a compaction more");
                }
            }
        }
    }

    private static float[] runFfn(Device device, LlamaModel model, int layer, float[] x,
                                  java.util.function.Function<DeviceWeights, DeviceFeedForward> block) {
        try (DeviceWeights weights = new DeviceWeights();
             DeviceFeedForward ffn = block.apply(weights);
             FloatArray in = FloatArray.of(x);
             FloatArray out = new FloatArray(x.length)) {
            out.fill(Float.NaN); // every output must be written
            TaskGraph g = new TaskGraph("ffn").transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
            ffn.append(g, layer, in, out);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                plan.execute();
            }
            return out.toHeapArray();
        }
    }

    /** Router rows that put expert e's logit at +-4 for input x: on exactly for e in {@code active}. */
    static float[] routerFor(float[] x, int experts, int[] active) {
        double sq = 0;
        for (float v : x) {
            sq += v * v;
        }
        float[] w = new float[experts * x.length];
        for (int e = 0; e < experts; e++) {
            int ee = e;
            boolean on = Arrays.stream(active).anyMatch(a -> a == ee);
            for (int i = 0; i < x.length; i++) {
                w[e * x.length + i] = (float) ((on ? 4 : -4) * x[i] / sq);
            }
        }
        return w;
    }

    /** The SwiGLU FFN in double over the stored weights, neurons of experts outside {@code active} zeroed. */
    static double[] maskedDenseFfn(LayerWeights w, float[] x, int[] active) {
        float[] gate = w.wGate().toFloats();
        float[] up = w.wUp().toFloats();
        float[] down = w.wDown().toFloats();
        int hidden = w.wGate().rows();
        int dim = x.length;
        double[] h = new double[hidden];
        List<Integer> on = new ArrayList<>();
        for (int e : active) {
            on.add(e);
        }
        for (int j = 0; j < hidden; j++) {
            if (!on.contains(j / SIZE)) {
                continue;
            }
            double g = 0;
            double u = 0;
            for (int i = 0; i < dim; i++) {
                g += (double) gate[j * dim + i] * x[i];
                u += (double) up[j * dim + i] * x[i];
            }
            h[j] = g / (1 + Math.exp(-g)) * u;
        }
        double[] out = new double[dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < hidden; j++) {
                out[i] += down[i * hidden + j] * h[j];
            }
        }
        return out;
    }
}
