package org.lte4j.bench.decode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import org.lte4j.bench.CopyBandwidth;
import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.device.DevicePrefill;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.sampling.Sampler;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * Batch-1 greedy decode speed of one model on one device, against a device copy measured in the
 * same run. On the {@code jvm} device it times {@link LlamaModel#forward} (the Vector API path
 * lte4j uses there); elsewhere {@link DeviceLlama}, once plainly and, where the device captures
 * (CUDA graphs), once replaying the captured step.
 *
 * <p>Per token: wall time of a step including the token upload and argmax download; weight
 * bytes read (KV cache excluded); achieved bandwidth = those bytes over the wall time. A second,
 * profiled pass over the same positions gives the kernel time and the host overhead = that
 * pass's wall time minus its kernel time (launch and queue cost the device does not see). A
 * captured step cannot be profiled inside: its overhead is its wall time minus the kernel time
 * of the uncaptured pass. That difference is negative where the device overlaps consecutive
 * kernels (CUDA's dependent launches on compute 9.0+): the profiled pass times each kernel alone,
 * the captured step lets the next one start while the last drains. On devices that work in this
 * machine's RAM (the JVM, CPU OpenCL) the unprofiled pass runs in {@link HostRounds}, each after a
 * copy, and its row compares the median round with that round's copy.
 *
 * <p>Prompt prefill on the device: {@value #PROMPT_TOKENS} prompt tokens run in batches of
 * {@link DevicePrefill#DEFAULT_BATCH} ({@link DeviceLlama#prefillGreedy}) against the same
 * prompt fed token by token through the decode step ({@link DeviceLlama#forwardGreedy}), on the
 * same DeviceLlama, after an untimed batched pass (kernel builds, first uploads).
 *
 * <p>The dense FFN is measured here; the LTE sparse FFN is meant to enter as a
 * {@link org.lte4j.model.device.DeviceFeedForward} given to {@code DeviceLlama.create}.
 */
public final class DecodeBenchmark {
    /** Prompt length of the prefill measurement: four full batches and a partial one. */
    static final int PROMPT_TOKENS = 4 * DevicePrefill.DEFAULT_BATCH + 3;

    private DecodeBenchmark() {
    }

    /**
     * How a decode bench runs.
     *
     * @param tokens          timed decode steps
     * @param warmUp          untimed steps before them (first upload, kernel builds, capture)
     * @param localSize       work-group size for DeviceLlama, 0 for the device's default
     * @param attention       decode attention kernel, empty for the device's default
     * @param fuseLayerSteps  fp16 layers as five launches or every step its own kernel
     *                        ({@link DecodeOptions#fuseLayerSteps()}), to measure the fusion; empty:
     *                        the device's default (fused on GPUs, separate on CPU OpenCL)
     * @param cachedPositions positions already in the KV cache when decoding starts (a prompt of
     *                        that many tokens prefilled first), so that attention reads a long
     *                        context as it would deep into a conversation; 0: decode from the start
     * @param q8_0Input       what the fused Q8_0 GEMVs multiply their weights with, empty for the
     *                        device's default (int8 blocks on CUDA)
     */
    public record Setup(int tokens, int warmUp, int localSize, Optional<DecodeOptions.AttentionKernel> attention,
                        Optional<Boolean> fuseLayerSteps, int cachedPositions, Optional<DecodeOptions.Q8_0Input> q8_0Input) {
        public Setup {
            if (tokens < 1 || warmUp < 0 || localSize < 0 || cachedPositions < 0) {
                throw new IllegalArgumentException("tokens must be >= 1, warm-up, local size and context >= 0");
            }
            Objects.requireNonNull(attention, "attention");
            Objects.requireNonNull(fuseLayerSteps, "fuseLayerSteps");
            Objects.requireNonNull(q8_0Input, "q8_0Input");
        }

        public Setup(int tokens, int warmUp, int localSize) {
            this(tokens, warmUp, localSize, Optional.empty(), Optional.empty(), 0, Optional.empty());
        }

        /** For a report's title: where in the context decoding starts, or nothing from the start. */
        public String describeContext() {
            return cachedPositions == 0 ? "" : "; decoding after " + cachedPositions + " cached positions";
        }

        /**
         * KV-cache bytes a timed step reads, averaged over the timed steps: keys and values (fp32,
         * as every decoder here stores them) of the positions it attends, in every layer. Small
         * from position 0; deep into a context it rivals the weights (llama2-7b at 4000 positions:
         * 4.2 GB against 13.2 GB of fp16 weights).
         */
        public long cacheBytesPerToken(LlamaConfig config) {
            double meanPositions = cachedPositions + warmUp + (tokens + 1) / 2.0;
            return Math.round(meanPositions * 2.0 * config.nLayers() * config.kvDim() * Float.BYTES);
        }

        /** Positions a decoder needs: the cached context, the warm-up and the timed steps. */
        public int contextLength() {
            return cachedPositions + warmUp + tokens + 1;
        }

        /**
         * Empties {@code d}'s cache and fills {@link #cachedPositions} positions with a prefilled
         * prompt; returns the token to decode first.
         */
        int startDecoding(DeviceLlama d, int vocab) {
            d.reset();
            return cachedPositions == 0 ? 1 : d.prefillGreedy(prompt(vocab, cachedPositions));
        }

        /** {@link #startDecoding} on the JVM path: a fresh state with the prompt prefilled; returns the first token. */
        int startDecoding(LlamaModel model, LlamaState s) {
            if (cachedPositions == 0) {
                return 1;
            }
            return Sampler.argmax(model.prefill(s, prompt(model.config().vocabSize(), cachedPositions)));
        }

        /** The device defaults with this setup's local size, attention kernel, layer fusion and Q8_0 input, where given. */
        public DecodeOptions options(Device device, int context) {
            DecodeOptions options = DecodeOptions.defaults(device, context);
            options = q8_0Input.map(options::withQ8_0Input).orElse(options);
            if (localSize > 0) {
                options = options.withLocalSize(localSize);
            }
            options = fuseLayerSteps.map(options::withFusedLayerSteps).orElse(options);
            return attention.map(options::withAttention).orElse(options);
        }
    }

    /** One timed configuration. NaN where a number does not apply (no profiling on the JVM path). */
    public record Result(String path, boolean capture, int tokens, double msPerToken, double kernelMsPerToken,
                         double hostOverheadMsPerToken, long bytesPerToken, double copyBytesPerSecond) {
        public double tokensPerSecond() {
            return 1e3 / msPerToken;
        }

        public double achievedBytesPerSecond() {
            return bytesPerToken / (msPerToken * 1e-3);
        }

        public double ratioToCopy() {
            return achievedBytesPerSecond() / copyBytesPerSecond;
        }
    }

    /** Prompt prefill, batched against token by token, in one run on one DeviceLlama. */
    public record PrefillResult(int promptTokens, int batch, double batchedMs, double tokenByTokenMs) {
        public double batchedTokensPerSecond() {
            return promptTokens / (batchedMs * 1e-3);
        }

        public double tokenByTokenTokensPerSecond() {
            return promptTokens / (tokenByTokenMs * 1e-3);
        }

        /** One line: both times, both rates and the speed-up. */
        public String describe() {
            return String.format(Locale.ROOT, "prefill of %d tokens: batches of %d %.2f ms (%.1f tok/s), token by token %.2f ms (%.1f tok/s), %.2fx",
                    promptTokens, batch, batchedMs, batchedTokensPerSecond(), tokenByTokenMs, tokenByTokenTokensPerSecond(),
                    tokenByTokenMs / batchedMs);
        }
    }

    /** Everything one run measured; {@code prefill} is empty on the JVM path. */
    public record Report(String model, String weights, String device, long weightBytesPerToken, long cacheBytesPerToken, long copyBytes,
                         double copyBytesPerSecond, int warmUp, int cachedPositions, List<Result> results,
                         List<PrefillResult> prefill) {
        public String toJson() {
            StringBuilder sb = new StringBuilder("{\n");
            sb.append("  \"model\": ").append(quote(model)).append(",\n");
            sb.append("  \"weights\": ").append(quote(weights)).append(",\n");
            sb.append("  \"device\": ").append(quote(device)).append(",\n");
            sb.append("  \"weight_bytes_per_token\": ").append(weightBytesPerToken).append(",\n");
            sb.append("  \"cache_bytes_per_token\": ").append(cacheBytesPerToken).append(",\n");
            sb.append("  \"copy_bytes\": ").append(copyBytes).append(",\n");
            sb.append("  \"copy_bytes_per_second\": ").append(number(copyBytesPerSecond)).append(",\n");
            sb.append("  \"warmup_steps\": ").append(warmUp).append(",\n");
            sb.append("  \"cached_positions\": ").append(cachedPositions).append(",\n");
            sb.append("  \"results\": [");
            for (int i = 0; i < results.size(); i++) {
                Result r = results.get(i);
                sb.append(i == 0 ? "\n" : ",\n").append("    {")
                        .append("\"path\": ").append(quote(r.path()))
                        .append(", \"capture\": ").append(r.capture())
                        .append(", \"tokens\": ").append(r.tokens())
                        .append(", \"ms_per_token\": ").append(number(r.msPerToken()))
                        .append(", \"tokens_per_second\": ").append(number(r.tokensPerSecond()))
                        .append(", \"achieved_bytes_per_second\": ").append(number(r.achievedBytesPerSecond()))
                        .append(", \"ratio_to_copy\": ").append(number(r.ratioToCopy()))
                        .append(", \"kernel_ms_per_token\": ").append(number(r.kernelMsPerToken()))
                        .append(", \"host_overhead_ms_per_token\": ").append(number(r.hostOverheadMsPerToken()))
                        .append('}');
            }
            sb.append("\n  ],\n  \"prefill\": [");
            for (int i = 0; i < prefill.size(); i++) {
                PrefillResult p = prefill.get(i);
                sb.append(i == 0 ? "\n" : ",\n").append("    {")
                        .append("\"prompt_tokens\": ").append(p.promptTokens())
                        .append(", \"batch\": ").append(p.batch())
                        .append(", \"batched_ms\": ").append(number(p.batchedMs()))
                        .append(", \"batched_tokens_per_second\": ").append(number(p.batchedTokensPerSecond()))
                        .append(", \"token_by_token_ms\": ").append(number(p.tokenByTokenMs()))
                        .append(", \"token_by_token_tokens_per_second\": ").append(number(p.tokenByTokenTokensPerSecond()))
                        .append('}');
            }
            return sb.append("\n  ]\n}\n").toString();
        }

        private static String number(double v) {
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
        }

        private static String quote(String s) {
            StringBuilder q = new StringBuilder("\"");
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> q.append("\\\"");
                    case '\\' -> q.append("\\\\");
                    default -> {
                        if (ch < 0x20) {
                            q.append(String.format("\\u%04x", (int) ch));
                        } else {
                            q.append(ch);
                        }
                    }
                }
            }
            return q.append('"').toString();
        }
    }

    /** Measures {@code model} on {@code device}, printing a table to {@code out} as it goes. */
    public static Report run(LlamaModel model, String modelName, Device device, Setup setup, Consumer<String> out) {
        boolean gpu = device.isGpu();
        long copyBytes = gpu ? 512L << 20 : 64L << 20;
        double copy = CopyBandwidth.bytesPerSecond(device, copyBytes, gpu ? 20 : 5);
        String weights = describeWeights(model);
        List<Result> results = new ArrayList<>();
        List<PrefillResult> prefill = new ArrayList<>();
        long weightBytes;
        long cacheBytes = setup.cacheBytesPerToken(model.config());
        long bytesPerToken; // weights and KV cache
        out.accept(String.format(Locale.ROOT, "decode %s (%s) on %s%s", modelName, weights, device.describe(), setup.describeContext()));
        out.accept(String.format(Locale.ROOT, "device copy %.2f GB/s (%s)", copy / 1e9, CopyBandwidth.describe(device, copyBytes)));
        out.accept(String.format(Locale.ROOT, "%-26s %8s %8s %8s %7s %10s %10s", "path", "ms/tok", "tok/s", "GB/s", "of copy", "kernel ms", "host ms"));
        if (device.kind() == BackendKind.JVM) {
            weightBytes = jvmWeightBytesPerToken(model);
            bytesPerToken = weightBytes + cacheBytes;
            warmUpJvm(model, setup);
            List<HostRounds.Round> rounds = HostRounds.alternate(() -> timedJvmPass(model, setup));
            HostRounds.Round median = HostRounds.median(rounds, bytesPerToken);
            results.add(print(out, new Result("LlamaModel (JVM, Vector API)", false, setup.tokens(), median.msPerToken(), Double.NaN,
                    Double.NaN, bytesPerToken, median.copyBytesPerSecond())));
            out.accept("  " + HostRounds.describe(rounds, bytesPerToken));
        } else {
            int context = Math.max(setup.contextLength(), PROMPT_TOKENS);
            DecodeOptions options = setup.options(device, context);
            Pass profiled;
            try (DeviceLlama d = DeviceLlama.create(model, device, options)) {
                out.accept("attention kernel " + d.attentionKernel() + "; Q8_0 GEMV input " + options.q8_0Input());
                weightBytes = d.weightBytesPerToken();
                bytesPerToken = weightBytes + cacheBytes;
                // in host RAM the unprofiled pass runs in rounds, each after a copy; elsewhere once, against the copy above
                List<HostRounds.Round> rounds = CopyBandwidth.runsInHostMemory(device)
                        ? HostRounds.alternate(() -> decode(d, setup, false).wallMs())
                        : List.of(new HostRounds.Round(decode(d, setup, false).wallMs(), copy));
                HostRounds.Round plain = HostRounds.median(rounds, bytesPerToken);
                profiled = decode(d, setup, true);
                results.add(print(out, new Result("DeviceLlama L=" + options.localSize(), false, setup.tokens(), plain.msPerToken(),
                        profiled.kernelMs(), profiled.wallMs() - profiled.kernelMs(), bytesPerToken, plain.copyBytesPerSecond())));
                if (rounds.size() > 1) {
                    out.accept("  " + HostRounds.describe(rounds, bytesPerToken));
                }
                profiled.kernelMsByName().entrySet().stream()
                        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                        .forEach(e -> out.accept(String.format(Locale.ROOT, "  kernel %-40s %8.3f ms/token (%4.1f%%)",
                                e.getKey(), e.getValue(), 100 * e.getValue() / profiled.kernelMs())));
                PrefillResult p = prefill(d, model.config().vocabSize());
                prefill.add(p);
                out.accept(p.describe());
                lastPrefillBatchKernels(d, model.config().vocabSize()).entrySet().stream()
                        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                        .forEach(e -> out.accept(String.format(Locale.ROOT, "  prefill kernel %-40s %8.3f ms (last batch)", e.getKey(), e.getValue())));
            }
            if (device.supportsCapture()) {
                try (DeviceLlama d = DeviceLlama.create(model, device, options.withCapture(true))) {
                    Pass captured = decode(d, setup, false);
                    results.add(print(out, new Result("DeviceLlama L=" + options.localSize() + " captured", true, setup.tokens(), captured.wallMs(),
                            profiled.kernelMs(), captured.wallMs() - profiled.kernelMs(), bytesPerToken, copy)));
                }
            }
        }
        out.accept(String.format(Locale.ROOT, "read per token: %.1f MB of weights, %.1f MB of KV cache (the timed steps' mean)",
                weightBytes / 1e6, cacheBytes / 1e6));
        return new Report(modelName, weights, device.describe(), weightBytes, cacheBytes, copyBytes, copy, setup.warmUp(), setup.cachedPositions(),
                List.copyOf(results), List.copyOf(prefill));
    }

    private static Result print(Consumer<String> out, Result r) {
        out.accept(String.format(Locale.ROOT, "%-26s %8.3f %8.1f %8.2f %7.2f %10s %10s", r.path(), r.msPerToken(), r.tokensPerSecond(),
                r.achievedBytesPerSecond() / 1e9, r.ratioToCopy(), ms(r.kernelMsPerToken()), ms(r.hostOverheadMsPerToken())));
        return r;
    }

    private static String ms(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "-";
    }

    /**
     * Milliseconds per token of one pass: wall time and (profiled passes only) kernel time, in
     * all and per kernel (by entry name), so a slow step shows which kernel to look at.
     */
    private record Pass(double wallMs, double kernelMs, Map<String, Double> kernelMsByName) {
    }

    /** Greedy decode from position 0: warm-up steps, then timed steps. */
    private static Pass decode(DeviceLlama d, Setup setup, boolean profiled) {
        if (!profiled) {
            warmUpHost(d, setup);
        }
        int token = setup.startDecoding(d, d.vocabSize());
        d.setProfiling(profiled);
        for (int i = 0; i < setup.warmUp(); i++) {
            token = d.forwardGreedy(token);
        }
        long kernelNanos = 0;
        Map<String, Double> byName = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < setup.tokens(); i++) {
            token = d.forwardGreedy(token);
            kernelNanos += d.lastProfile().kernelNanos();
            for (ProfileRecord r : d.lastProfile().records()) {
                if (r.kind() == ProfileRecord.Kind.KERNEL) {
                    byName.merge(r.label(), r.deviceNanos() / 1e6 / setup.tokens(), Double::sum);
                }
            }
        }
        long wall = System.nanoTime() - start;
        d.setProfiling(false);
        return new Pass(wall / 1e6 / setup.tokens(), profiled ? kernelNanos / 1e6 / setup.tokens() : Double.NaN, byName);
    }

    /** The same prompt batched and token by token on {@code d}: an untimed batched pass, then each timed once (cache reset between). */
    static PrefillResult prefill(DeviceLlama d, int vocab) {
        int[] prompt = prompt(vocab);
        d.reset();
        d.prefillGreedy(prompt);
        d.reset();
        long start = System.nanoTime();
        d.prefillGreedy(prompt);
        double batched = (System.nanoTime() - start) / 1e6;
        d.reset();
        start = System.nanoTime();
        for (int t : prompt) {
            d.forwardGreedy(t);
        }
        double tokenByToken = (System.nanoTime() - start) / 1e6;
        d.reset();
        return new PrefillResult(PROMPT_TOKENS, DevicePrefill.DEFAULT_BATCH, batched, tokenByToken);
    }

    /**
     * The same prompt batched ({@link LlamaModel#prefill}) and token by token (batch 1) on the JVM
     * model, each on a fresh state: one untimed pass of each, then the best of three.
     */
    static PrefillResult jvmPrefill(LlamaModel model) {
        int[] prompt = prompt(model.config().vocabSize());
        double batched = Double.MAX_VALUE;
        double tokenByToken = Double.MAX_VALUE;
        for (int pass = 0; pass < 4; pass++) {
            long start = System.nanoTime();
            model.prefill(model.newState(PROMPT_TOKENS), prompt);
            double b = (System.nanoTime() - start) / 1e6;
            start = System.nanoTime();
            model.prefill(model.newState(PROMPT_TOKENS), prompt, 1);
            double t = (System.nanoTime() - start) / 1e6;
            if (pass > 0) {
                batched = Math.min(batched, b);
                tokenByToken = Math.min(tokenByToken, t);
            }
        }
        return new PrefillResult(PROMPT_TOKENS, LlamaModel.PREFILL_BATCH, batched, tokenByToken);
    }

    /** Device ms per kernel name of the prompt's last batch (profiled; the grids do not depend on how many tokens it holds). */
    private static Map<String, Double> lastPrefillBatchKernels(DeviceLlama d, int vocab) {
        d.setProfiling(true);
        d.reset();
        d.prefillGreedy(prompt(vocab));
        Map<String, Double> ms = new TreeMap<>();
        for (ProfileRecord r : d.lastProfile().records()) {
            if (r.kind() == ProfileRecord.Kind.KERNEL) {
                ms.merge(r.label(), r.deviceNanos() / 1e6, Double::sum);
            }
        }
        d.setProfiling(false);
        d.reset();
        return ms;
    }

    private static int[] prompt(int vocab) {
        return prompt(vocab, PROMPT_TOKENS);
    }

    /** A fixed prompt of {@code length} token ids. */
    static int[] prompt(int vocab, int length) {
        int[] prompt = new int[length];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (1 + 7 * i) % vocab;
        }
        return prompt;
    }

    /**
     * Tokens the JVM path decodes on throwaway states before it is timed (or {@link #JIT_WARM_UP_NANOS},
     * whichever ends first): on 2 cores the JIT brings the per-product threading code to C2 only
     * after about 60 tokens of llama-110m, so the setup's few warm-up tokens time a partly
     * interpreted loop (Q8_0: 7.4-9.0 ms/token against 5.5-5.9 warmed, docs/PERF.md).
     */
    static final int JIT_WARM_UP_TOKENS = 400;
    static final long JIT_WARM_UP_NANOS = 20_000_000_000L;

    /**
     * Greedy steps of {@code d} on throwaway sequences (reset each time) until the host code that
     * enqueues a step has been compiled, as {@link #jvmMsPerToken} warms the JVM path: at most
     * {@link #JIT_WARM_UP_TOKENS} steps or {@link #JIT_WARM_UP_NANOS}. The first unprofiled pass on
     * each device runs it; later decoders on that device find the same code compiled. On PoCL,
     * where the host enqueues every kernel of the step, llama-110m Q8_0 timed 11.07 ms/token after
     * the setup's 8 warm-up steps and 7.72 after 64 (docs/PERF.md).
     */
    static void warmUpHost(DeviceLlama d, Setup setup) {
        if (!HOST_WARMED.add(d.device())) {
            return;
        }
        repeatUntilJitWarm(setup.warmUp() + setup.tokens(), length -> {
            d.reset();
            int token = 1;
            for (int i = 0; i < length; i++) {
                token = d.forwardGreedy(token);
            }
        });
    }

    /** Devices whose decode host code {@link #warmUpHost} has warmed in this process. */
    private static final Set<Device> HOST_WARMED = ConcurrentHashMap.newKeySet();

    /** Milliseconds per greedy decode step of {@code model} on the JVM, after the JIT warm-up. */
    static double jvmMsPerToken(LlamaModel model, Setup setup) {
        warmUpJvm(model, setup);
        return timedJvmPass(model, setup);
    }

    /** Decodes throwaway sequences until the JIT has compiled the JVM path ({@link #JIT_WARM_UP_TOKENS}). */
    private static void warmUpJvm(LlamaModel model, Setup setup) {
        repeatUntilJitWarm(setup.warmUp() + setup.tokens(), n -> greedySteps(model, model.newState(n + 1), 1, n));
    }

    /** One pass on a fresh state: the setup's warm-up steps, then its timed steps; ms per timed step. */
    private static double timedJvmPass(LlamaModel model, Setup setup) {
        LlamaState s = model.newState(setup.contextLength());
        int token = greedySteps(model, s, setup.startDecoding(model, s), setup.warmUp());
        long start = System.nanoTime();
        greedySteps(model, s, token, setup.tokens());
        return (System.nanoTime() - start) / 1e6 / setup.tokens();
    }

    /** Runs {@code sequence} of {@code length} steps until {@link #JIT_WARM_UP_TOKENS} steps or {@link #JIT_WARM_UP_NANOS} have passed. */
    private static void repeatUntilJitWarm(int length, IntConsumer sequence) {
        long warmUpEnd = System.nanoTime() + JIT_WARM_UP_NANOS;
        for (int done = 0; done < JIT_WARM_UP_TOKENS && System.nanoTime() < warmUpEnd; done += length) {
            sequence.accept(length);
        }
    }

    /** {@code steps} greedy decode steps from {@code token}; returns the last token chosen. */
    private static int greedySteps(LlamaModel model, LlamaState s, int token, int steps) {
        for (int i = 0; i < steps; i++) {
            token = Sampler.argmax(model.forward(s, token));
        }
        return token;
    }

    /** What LlamaModel.forward reads per token, in the stored formats. */
    static long jvmWeightBytesPerToken(LlamaModel model) {
        var w = model.weights();
        long dimBytes = 4L * model.config().dim();
        long total = w.tokenEmbedding().rowBytes() + w.output().segment().byteSize() + dimBytes;
        for (LayerWeights l : w.layers()) {
            for (Tensor t : new Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()}) {
                total += t.segment().byteSize();
            }
            total += 2 * dimBytes;
            for (float[] bias : new float[][] {l.bq(), l.bk(), l.bv()}) {
                total += bias == null ? 0 : 4L * bias.length;
            }
        }
        return total;
    }

    private static String describeWeights(LlamaModel model) {
        LayerWeights l0 = model.layers().get(0);
        return l0.wq().type() + " layers, " + model.weights().output().type() + " output, "
                + model.config().nLayers() + " layers, dim " + model.config().dim() + ", vocab " + model.config().vocabSize();
    }
}
