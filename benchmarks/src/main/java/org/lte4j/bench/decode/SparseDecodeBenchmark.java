package org.lte4j.bench.decode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

import org.lte4j.bench.CopyBandwidth;
import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.device.DenseFeedForward;
import org.lte4j.model.device.DeviceFeedForward;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.device.DeviceWeights;
import org.lte4j.model.device.ExpertWeights;
import org.lte4j.model.device.SparseDeviceLlama;
import org.lte4j.model.device.SparseFeedForward;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.sparse.ExpertRouter;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.sparse.LteSettings;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.backend.opencl.OpenClDevice;
import org.lte4j.runtime.backend.opencl.OpenClDeviceInfo;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Sparse (LTE) against dense batch-1 decode of one model on one device, in one run: the dense
 * model first, then the same weights with synthetic routers ({@link SyntheticRouters}) at each
 * target sparsity. Per configuration: ms per token (captured CUDA-graph step where the device
 * captures, else plain) and its ratio to dense; the sparsity measured from the device's active
 * counts (read back in a separate profiled, uncaptured pass on its own instance, since reading
 * them syncs and a captured step has no per-kernel times); the bytes a token actually reads
 * (attention, output, routers, the active experts' rows and the KV cache) and the bandwidth
 * achieved on them; the FFN block alone (a plan of every layer's FFN on a fixed input,
 * no attention); the router + compaction kernel time as a share of the token's kernel time
 * (profiled, every kernel timed alone); and what routing costs inside the timed step: the step
 * with every layer routing twice ({@link SparseFeedForward}'s routing passes) less the step,
 * as a share of the step (the profiler's per-kernel floor overstates small kernels, and a
 * captured step overlaps neighbouring kernels), on devices that capture steps.
 * On the {@code jvm} device the JVM models are timed instead ({@link LlamaModel} dense,
 * {@link LteModel} sparse), without kernel profiles.
 */
public final class SparseDecodeBenchmark {
    /** The paper's expert size. */
    public static final int EXPERT_SIZE = LteSettings.DEFAULT_EXPERT_SIZE;
    private static final int FFN_BLOCK_RUNS = 20;

    private SparseDecodeBenchmark() {
    }

    /**
     * One configuration. {@code targetSparsity} NaN for dense; NaN where a number does not apply.
     *
     * @param bytesPerToken      bytes a token reads at the measured sparsity: weights and KV cache
     *                           ({@link DecodeBenchmark.Setup#cacheBytesPerToken})
     * @param ffnBlockMs         every layer's FFN block alone, per token
     * @param routerMsPerToken   router logits + compaction kernel time per token (all layers)
     * @param kernelMsPerToken   all kernels of the token step
     * @param routingInStepMs    ms per token that a second routing pass adds to the timed step:
     *                           what routing costs there (captured steps only, else NaN)
     */
    public record Row(String path, double targetSparsity, double measuredSparsity, double msPerToken, double ratioToDense,
                      long bytesPerToken, double ffnBlockMs, double ffnRatioToDense, double routerMsPerToken,
                      double kernelMsPerToken, double copyBytesPerSecond, double routingInStepMs) {
        public double achievedBytesPerSecond() {
            return bytesPerToken / (msPerToken * 1e-3);
        }

        public double routerShare() {
            return routerMsPerToken / kernelMsPerToken;
        }

        /** {@link #routingInStepMs} over the step's ms per token. */
        public double routingInStepShare() {
            return routingInStepMs / msPerToken;
        }
    }

    public record Report(String model, String device, boolean captured, double copyBytesPerSecond, int cachedPositions, List<Row> rows) {
        public String toJson() {
            StringBuilder sb = new StringBuilder("{\n");
            sb.append("  \"model\": \"").append(model.replace("\"", "'")).append("\",\n");
            sb.append("  \"device\": \"").append(device.replace("\"", "'")).append("\",\n");
            sb.append("  \"captured\": ").append(captured).append(",\n");
            sb.append("  \"copy_bytes_per_second\": ").append(num(copyBytesPerSecond)).append(",\n");
            sb.append("  \"cached_positions\": ").append(cachedPositions).append(",\n");
            sb.append("  \"rows\": [");
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                sb.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                        "    {\"path\": \"%s\", \"target_sparsity\": %s, \"measured_sparsity\": %s, \"ms_per_token\": %s,"
                                + " \"ratio_to_dense\": %s, \"bytes_per_token\": %d, \"achieved_bytes_per_second\": %s,"
                                + " \"ffn_block_ms\": %s, \"ffn_ratio_to_dense\": %s, \"router_compaction_ms_per_token\": %s,"
                                + " \"kernel_ms_per_token\": %s, \"router_compaction_share\": %s,"
                                + " \"routing_in_step_ms_per_token\": %s, \"routing_in_step_share\": %s}",
                        r.path(), num(r.targetSparsity()), num(r.measuredSparsity()), num(r.msPerToken()), num(r.ratioToDense()),
                        r.bytesPerToken(), num(r.achievedBytesPerSecond()), num(r.ffnBlockMs()), num(r.ffnRatioToDense()),
                        num(r.routerMsPerToken()), num(r.kernelMsPerToken()), num(r.routerShare()), num(r.routingInStepMs()),
                        num(r.routingInStepShare())));
            }
            return sb.append("\n  ]\n}\n").toString();
        }

        private static String num(double v) {
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
        }
    }

    public static Report run(LlamaModel model, String modelName, Device device, DecodeBenchmark.Setup setup, double[] sparsities,
                             long seed, Consumer<String> out) {
        boolean gpu = device.kind() == BackendKind.CUDA
                || device instanceof OpenClDevice o && o.info().type() == OpenClDeviceInfo.Type.GPU;
        long copyBytes = gpu ? 512L << 20 : 64L << 20;
        double copy = CopyBandwidth.bytesPerSecond(device, copyBytes, gpu ? 20 : 5);
        boolean capture = device.supportsCapture();
        out.accept(String.format(Locale.ROOT, "sparse vs dense decode of %s on %s; device copy %.2f GB/s; %s steps%s",
                modelName, device.describe(), copy / 1e9, capture ? "captured (CUDA graph)" : "uncaptured", setup.describeContext()));
        out.accept("synthetic routers: logits ~ N(0,1) per expert; threshold = sigmoid(normal quantile of the target sparsity);"
                + " router GEMV and compaction run on the device as for a trained model");
        List<float[]> routers = SyntheticRouters.create(model.config(), EXPERT_SIZE, seed);
        out.accept(String.format(Locale.ROOT, "%-22s %7s %8s %9s %7s %9s %8s %9s %7s %10s %7s %12s",
                "path", "target", "measured", "ms/tok", "x dense", "GB/tok", "GB/s", "FFN ms", "x dense", "rtr+cmp ms", "share",
                "in step"));
        List<Row> rows = new ArrayList<>();
        if (device.kind() == BackendKind.JVM) {
            runJvm(model, routers, setup, sparsities, copy, rows, out);
        } else {
            runDevice(model, routers, device, setup, sparsities, copy, capture, rows, out);
        }
        return new Report(modelName, device.describe(), capture, copy, setup.cachedPositions(), List.copyOf(rows));
    }

    private static void runDevice(LlamaModel model, List<float[]> routers, Device device, DecodeBenchmark.Setup setup,
                                  double[] sparsities, double copy, boolean capture, List<Row> rows, Consumer<String> out) {
        int context = Math.max(setup.contextLength(), DecodeBenchmark.PROMPT_TOKENS); // room for the prefill's prompt
        long cache = setup.cacheBytesPerToken(model.config());
        DecodeOptions opts = setup.options(device, context);
        if (model.layers().getFirst().wGate().type() == GgmlType.Q8_0) {
            out.accept("Q8_0 GEMV input " + opts.q8_0Input());
        }
        int layers = model.config().nLayers();
        Row dense;
        Pass denseProfile;
        try (DeviceLlama d = DeviceLlama.create(model, device, opts.withCapture(false))) {
            denseProfile = decode(d, setup, true, null); // a captured step replays as one launch: profile uncaptured
        }
        try (DeviceLlama d = DeviceLlama.create(model, device, opts.withCapture(capture))) {
            Pass timed = decode(d, setup, false, null);
            Pass profiled = denseProfile;
            double ffn = ffnBlockMs(model, device, w -> new DenseFeedForward(model, w, opts), opts, capture);
            dense = new Row("dense", Double.NaN, 0, timed.wallMs, 1, d.weightBytesPerToken() + cache, ffn, 1, Double.NaN,
                    profiled.kernelMs, copy, Double.NaN);
            rows.add(print(out, dense));
            printKernels(out, profiled);
        }
        try (ExpertWeights experts = ExpertWeights.of(model, EXPERT_SIZE, routers, opts.gemv())) {
            for (double s : sparsities) {
                float threshold = SyntheticRouters.threshold(s);
                double[] meanActive = new double[layers];
                Pass profiled;
                try (SparseDeviceLlama sd = SparseDeviceLlama.create(model, experts, threshold, device, opts.withCapture(false))) {
                    profiled = decode(sd.llama(), setup, true, () -> {
                        int[] c = sd.readActiveCounts();
                        for (int l = 0; l < layers; l++) {
                            meanActive[l] += (double) c[l] / setup.tokens();
                        }
                    });
                }
                // the step with every layer routing twice, on its own instance; only captured steps are steady
                // enough for the difference (uncaptured on a 2-core CPU it came out at -0.8 to +1.9 ms of 11)
                double routedTwiceMs = Double.NaN;
                if (capture) {
                    try (SparseDeviceLlama twice = SparseDeviceLlama.create(model, experts, threshold, device, opts.withCapture(true), 2)) {
                        routedTwiceMs = decode(twice.llama(), setup, false, null).wallMs;
                    }
                }
                try (SparseDeviceLlama sd = SparseDeviceLlama.create(model, experts, threshold, device, opts.withCapture(capture))) {
                    Pass timed = decode(sd.llama(), setup, false, null);
                    SparseFeedForward ffn = sd.feedForward();
                    long bytes = sd.llama().weightBytesPerToken() + cache;
                    double active = 0;
                    for (int l = 0; l < layers; l++) {
                        long full = ffn.weightBytes(l, ffn.experts());
                        long router = ffn.weightBytes(l, 0);
                        bytes += Math.round((full - router) * (meanActive[l] / ffn.experts() - 1));
                        active += meanActive[l] / layers;
                    }
                    double measured = 1 - active / ffn.experts();
                    double ffnMs = ffnBlockMs(model, device, w -> new SparseFeedForward(model, experts, threshold, w, opts.localSize(),
                            opts.gemv(), ffn.maxChunks(), 1, opts.q8_0Input()), opts, capture);
                    rows.add(print(out, new Row(String.format(Locale.ROOT, "sparse %.2f", s), s, measured, timed.wallMs,
                            timed.wallMs / dense.msPerToken(), bytes, ffnMs, ffnMs / dense.ffnBlockMs(), profiled.routerMs,
                            profiled.kernelMs, copy, routedTwiceMs - timed.wallMs)));
                    printKernels(out, profiled);
                    // the prompt routes every token and runs every expert's gate/up (zeroing the skipped ones): compute-bound either way
                    out.accept("  " + DecodeBenchmark.prefill(sd.llama(), model.config().vocabSize()).describe());
                }
            }
        }
        out.accept("x dense: ms/token over the dense model's; FFN ms: every layer's FFN block alone on a fixed input (fp16: with its norm, as decoded);"
                + " rtr+cmp: router logits + compaction kernels per token (profiled); share: of the token's kernel time;"
                + " in step: ms/token a second routing pass adds to the timed step, and its share of the step");
    }

    /** Milliseconds per token: wall time of the timed steps, and from a profiled pass kernel and router + compaction time. */
    private record Pass(double wallMs, double kernelMs, double routerMs, java.util.Map<String, Double> kernelMsByName) {
    }

    /** The FFN-related kernels (and the GEMV the dense FFN shares with attention) of a profiled pass, ms per token. */
    private static void printKernels(Consumer<String> out, Pass p) {
        StringBuilder sb = new StringBuilder("    kernels ms/token:");
        p.kernelMsByName().entrySet().stream()
                .sorted(java.util.Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(8)
                .forEach(e -> sb.append(String.format(Locale.ROOT, " %s %.3f;", e.getKey().replaceFirst("^.*?_", ""), e.getValue())));
        out.accept(sb.toString());
    }

    private static Pass decode(DeviceLlama d, DecodeBenchmark.Setup setup, boolean profiled, Runnable afterStep) {
        if (!profiled) {
            DecodeBenchmark.warmUpHost(d, setup);
        }
        int token = setup.startDecoding(d, d.vocabSize());
        d.setProfiling(profiled);
        for (int i = 0; i < setup.warmUp(); i++) {
            token = d.forwardGreedy(token);
        }
        long kernel = 0;
        long router = 0;
        java.util.Map<String, Double> byName = new java.util.TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < setup.tokens(); i++) {
            token = d.forwardGreedy(token);
            if (profiled) {
                for (ProfileRecord r : d.lastProfile().records()) {
                    if (r.kind() == ProfileRecord.Kind.KERNEL) {
                        kernel += r.deviceNanos();
                        byName.merge(r.label(), r.deviceNanos() / 1e6 / setup.tokens(), Double::sum);
                        if (r.label().contains("logitsFourExperts") || r.label().contains("compactActiveExperts")) {
                            router += r.deviceNanos();
                        }
                    }
                }
            }
            if (afterStep != null) {
                afterStep.run();
            }
        }
        long wall = System.nanoTime() - start;
        d.setProfiling(false);
        double n = setup.tokens();
        return new Pass(wall / 1e6 / n, profiled ? kernel / 1e6 / n : Double.NaN, profiled ? router / 1e6 / n : Double.NaN, byName);
    }

    /**
     * Every layer's FFN block, one after another, on a fixed unit-RMS input: median wall time of
     * {@link #FFN_BLOCK_RUNS} executions (captured where the device captures), in the kernels the
     * decoder with {@code options} runs. Where it fuses layer steps, blocks that fold the FFN's
     * RMSNorm in (fp16, Q8_0) run as the decoder runs them, norm weights of 1 and the output
     * added into the input, which is uploaded again before every run so each run sees the same
     * input; elsewhere (CPU OpenCL) the blocks add into an output where they can, as the decoder's
     * item-per-row FFNs do, and write it otherwise.
     */
    static double ffnBlockMs(LlamaModel model, Device device, Function<DeviceWeights, DeviceFeedForward> block, DecodeOptions options,
                             boolean capture) {
        int dim = model.config().dim();
        float[] x = new float[dim];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < dim; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (DeviceWeights weights = new DeviceWeights();
             DeviceFeedForward ffn = block.apply(weights);
             FloatArray in = FloatArray.of(x);
             FloatArray ones = new FloatArray(dim);
             FloatArray out = new FloatArray(dim)) {
            ones.fill(1f);
            TaskGraph g = new TaskGraph("ffn blocks").transferToDevice(DataTransferMode.EVERY_EXECUTION, in)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, ones);
            for (int l = 0; l < model.config().nLayers(); l++) {
                if (!(options.fuseLayerSteps() && ffn.appendNormingAndAddingInto(g, l, in, ones, model.config().rmsEps()))
                        && !ffn.appendAddingInto(g, l, in, out)) {
                    ffn.append(g, l, in, out);
                }
            }
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device).withCapture(capture)) {
                plan.execute();
                plan.execute();
                List<Double> ms = new ArrayList<>();
                for (int i = 0; i < FFN_BLOCK_RUNS; i++) {
                    long t0 = System.nanoTime();
                    plan.execute();
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
                Collections.sort(ms);
                return ms.get(ms.size() / 2);
            }
        }
    }

    private static void runJvm(LlamaModel model, List<float[]> routers, DecodeBenchmark.Setup setup, double[] sparsities,
                               double copy, List<Row> rows, Consumer<String> out) {
        int layers = model.config().nLayers();
        int dim = model.config().dim();
        long denseBytes = DecodeBenchmark.jvmWeightBytesPerToken(model) + setup.cacheBytesPerToken(model.config());
        // the JIT warm-up matters as much as the model: timed cold, the dense model that runs first
        // measured slower than the sparse one at sparsity 0 (15.6 against 13.2 ms/token)
        double denseMs = DecodeBenchmark.jvmMsPerToken(model, setup);
        double denseFfn = jvmFfnMs(model);
        Row dense = new Row("dense (LlamaModel)", Double.NaN, 0, denseMs, 1, denseBytes, denseFfn, 1, Double.NaN, Double.NaN, copy,
                Double.NaN);
        rows.add(print(out, dense));
        int experts = model.config().hiddenDim() / EXPERT_SIZE;
        List<ExpertRouter> rs = routers.stream().map(w -> new ExpertRouter(w, experts, dim)).toList();
        long ffnBytes = 0;
        for (var l : model.layers()) {
            ffnBytes += l.wGate().segment().byteSize() + l.wUp().segment().byteSize() + l.wDown().segment().byteSize();
        }
        long routerBytes = 4L * experts * dim * layers;
        for (double s : sparsities) {
            // an LteModel shares the base's weights and adds its regrouped down copies to the base's arena;
            // closing it would close the base, so it is left to the base's close
            LteModel lte = new LteModel(model, new LteSettings(EXPERT_SIZE, SyntheticRouters.threshold(s)), rs);
            double ms = DecodeBenchmark.jvmMsPerToken(lte, setup);
            lte.recorder().clear();
            double ffn = jvmFfnMs(lte);
            double measured = lte.recorder().overallSparsity();
            long bytes = denseBytes - ffnBytes + routerBytes + Math.round(ffnBytes * (1 - measured));
            rows.add(print(out, new Row(String.format(Locale.ROOT, "sparse %.2f (LteModel)", s), s, measured, ms, ms / denseMs, bytes,
                    ffn, ffn / denseFfn, Double.NaN, Double.NaN, copy, Double.NaN)));
            out.accept("  " + DecodeBenchmark.jvmPrefill(lte).describe());
        }
    }

    /** Every layer's FFN on fixed unit-RMS inputs (one per layer), median of runs. */
    private static double jvmFfnMs(LlamaModel model) {
        int dim = model.config().dim();
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] x = new float[dim];
        List<Double> ms = new ArrayList<>();
        for (int run = 0; run < 7; run++) {
            // a new input every run, so that a sparse FFN reads other experts each time, as tokens do:
            // over one fixed input its few experts stayed in this CPU's 32 MiB L3 and the block read
            // as fast as cache (Q8_0 at 80%: 0.36-0.48x of dense while the token stayed at dense)
            for (int i = 0; i < dim; i++) {
                x[i] = (float) r.nextGaussian();
            }
            long t0 = System.nanoTime();
            for (int l = 0; l < model.config().nLayers(); l++) {
                model.ffn(l, x);
            }
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(ms);
        return ms.get(ms.size() / 2);
    }

    private static Row print(Consumer<String> out, Row r) {
        out.accept(String.format(Locale.ROOT, "%-22s %7s %8.3f %9.3f %7.3f %9.3f %8.1f %9.3f %7.3f %10s %7s %12s",
                r.path(), Double.isNaN(r.targetSparsity()) ? "-" : String.format(Locale.ROOT, "%.2f", r.targetSparsity()),
                r.measuredSparsity(), r.msPerToken(), r.ratioToDense(), r.bytesPerToken() / 1e9, r.achievedBytesPerSecond() / 1e9,
                r.ffnBlockMs(), r.ffnRatioToDense(), fmt(r.routerMsPerToken()), percent(r.routerShare()),
                Double.isFinite(r.routingInStepMs()) ? fmt(r.routingInStepMs()) + " " + percent(r.routingInStepShare()) : "-"));
        return r;
    }

    private static String percent(double share) {
        return Double.isFinite(share) ? String.format(Locale.ROOT, "%.1f%%", 100 * share) : "-";
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "-";
    }
}
