package org.lte4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.device.DeviceGenerator;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.device.SparseDeviceLlama;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.sparse.LteGguf;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.sparse.SparsityPlot;
import org.lte4j.model.sparse.SparsityRecorder;
import org.lte4j.model.sparse.SparsityReport;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.json.Json;
import org.lte4j.model.llama.GenerationOptions;
import org.lte4j.model.llama.GenerationResult;
import org.lte4j.model.llama.Generator;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tokenizer.SpecialTokenRendering;
import org.lte4j.model.tokenizer.StreamingDecoder;
import org.lte4j.model.tokenizer.Tokenizer;
import org.lte4j.model.tokenizer.Tokenizers;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;

/**
 * {@code lte4j generate}: text (or token ids) from a GGUF file or Hugging Face folder, streamed to
 * stdout as it is produced; speeds and the device on stderr. On {@code jvm} the model runs as
 * {@link LlamaModel} (Vector API); on other devices as a {@link DeviceLlama} task-graph plan,
 * whose token step is captured once and replayed where the device can (CUDA graphs; --no-capture
 * turns that off). An LTE file (lte.* metadata) runs sparse by default: {@link LteModel} on the
 * JVM, {@link SparseDeviceLlama} elsewhere; {@code --dense} runs it as the plain model. The
 * measured FFN sparsity is printed; on devices it is read back only with --sparsity-report or
 * --sparsity-plot, since reading the counts synchronises every token.
 */
final class GenerateCommand implements Subcommand {
    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "generate text from a model (GGUF or Hugging Face folder) on a device";
    }

    @Override
    public String usage() {
        return "--model PATH (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] [--temperature T] [--top-p P] [--seed S]"
                + " [--device SPEC] [--context N] [--chat] [--print-ids] [--no-capture] [--q8-input floats|int8]"
                + " [--dense] [--sparsity-report] [--sparsity-plot FILE.svg]";
    }

    @Override
    public Set<String> flags() {
        return Set.of("chat", "print-ids", "no-capture", "dense", "sparsity-report");
    }

    @Override
    public int run(Args args, Console console) throws Exception {
        Path path = Path.of(args.require("model"));
        Optional<String> promptText = args.get("prompt");
        Optional<String> promptIds = args.get("prompt-ids");
        int maxTokens = args.getInt("max-tokens", 128);
        float temperature = (float) args.getDouble("temperature", 0);
        float topP = (float) args.getDouble("top-p", 1);
        long seed = args.getLong("seed", 42);
        String deviceSpec = args.get("device", "auto");
        int contextOption = args.getInt("context", 0);
        boolean chat = args.flag("chat");
        boolean printIds = args.flag("print-ids");
        boolean capture = !args.flag("no-capture");
        boolean denseFlag = args.flag("dense");
        boolean sparsityReport = args.flag("sparsity-report");
        Optional<String> sparsityPlot = args.get("sparsity-plot");
        Optional<DecodeOptions.Q8_0Input> q8_0Input = args.get("q8-input").map(BenchCommand::parseQ8_0Input);
        args.rejectUnknown();
        if (promptText.isPresent() == promptIds.isPresent()) {
            throw new Args.UsageException("give exactly one of --prompt TEXT and --prompt-ids 1,2,3");
        }
        if (chat && promptIds.isPresent()) {
            throw new Args.UsageException("--chat formats a text prompt; it does not apply to --prompt-ids");
        }
        if (maxTokens < 0 || temperature < 0 || !(topP > 0 && topP <= 1) || contextOption < 0) {
            throw new Args.UsageException("--max-tokens and --temperature must be >= 0, --top-p in (0, 1], --context >= 0");
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("no model at " + path + " (give a GGUF file or a Hugging Face folder)");
        }
        Device device = Devices.select(deviceSpec);
        boolean lteFile = isLte(path);
        boolean sparse = lteFile && !denseFlag;
        if ((sparsityReport || sparsityPlot.isPresent()) && !sparse) {
            throw new Args.UsageException(lteFile ? "--sparsity-report and --sparsity-plot measure the sparse run; drop --dense"
                    : "--sparsity-report and --sparsity-plot need an LTE model (made with `lte4j moefy` or LTE training)");
        }

        try (LlamaModel model = sparse ? LteModel.load(path) : LlamaModel.load(path)) {
            Optional<Tokenizer> tokenizer = tokenizerOf(model, path);
            int[] prompt;
            if (promptIds.isPresent()) {
                prompt = parseIds(promptIds.get(), model.config().vocabSize());
            } else {
                Tokenizer t = tokenizer.orElseThrow(() -> new IllegalArgumentException(
                        noTokenizerReason(model, path) + "; give the prompt as --prompt-ids 1,2,3"));
                prompt = chat ? ChatPrompt.of(model.metadata(), path, t).encode(t, promptText.get())
                        : t.addsBosByDefault() ? t.encodeWithBos(promptText.get()) : t.encode(promptText.get());
                if (prompt.length == 0) {
                    throw new IllegalArgumentException("the prompt encodes to no tokens");
                }
            }
            if (tokenizer.isEmpty()) {
                console.status(noTokenizerReason(model, path) + ": printing token ids");
            }
            Set<Integer> stop = new HashSet<>(Generator.defaultStopTokens(model));
            tokenizer.ifPresent(t -> Arrays.stream(t.endOfGenerationIds()).forEach(stop::add));
            int context = contextOption > 0 ? contextOption : prompt.length + maxTokens;
            GenerationOptions options = GenerationOptions.greedy(maxTokens)
                    .withSampling(temperature, topP, seed)
                    .withStopTokens(stop)
                    .withMaxContext(Math.max(1, context));

            StreamingDecoder decoder = tokenizer.map(t -> t.streamingDecoder(SpecialTokenRendering.OMIT)).orElse(null);
            int textVocab = tokenizer.map(Tokenizer::vocabSize).orElse(Integer.MAX_VALUE);
            int[] withoutText = {0};
            IntConsumer stream = id -> {
                if (decoder == null) {
                    console.out().print(id + " ");
                } else if (id < textVocab) {
                    console.out().print(decoder.next(id));
                } else {
                    withoutText[0]++; // padded embedding rows (e.g. Qwen2) have no token text
                }
                console.out().flush();
            };
            GenerationResult result;
            String how;
            SparsityRecorder sparsity = null;
            boolean readCounts = sparsityReport || sparsityPlot.isPresent();
            DecodeOptions defaults = DecodeOptions.defaults(device, options.maxContext()).withCapture(capture && device.supportsCapture());
            DecodeOptions decode = q8_0Input.map(defaults::withQ8_0Input).orElse(defaults);
            if (device.kind() == BackendKind.JVM) {
                how = sparse ? "jvm (LteModel, sparse FFN, Vector API)" : "jvm (LlamaModel, Vector API)";
                result = new Generator(model).generate(prompt, options, stream);
                if (model instanceof LteModel lte) {
                    // rows follow FFN calls: the generated tokens are produced from the last prompt step on
                    sparsity = lte.recorder().copyFrom(Math.max(0, prompt.length - 1));
                }
            } else if (model instanceof LteModel lte) {
                try (SparseDeviceLlama onDevice = SparseDeviceLlama.create(lte, device, decode)) {
                    how = DevicesCommand.describe(device) + (onDevice.llama().capturing()
                            ? " (DeviceLlama, LTE sparse FFN, CUDA-graph capture)" : " (DeviceLlama, LTE sparse FFN)");
                    SparsityRecorder recorder = new SparsityRecorder(lte.config().nLayers(), lte.config().hiddenDim());
                    IntConsumer recordThenStream = readCounts ? id -> {
                        onDevice.recordLastStep(recorder); // the counts of the step that chose this token
                        stream.accept(id);
                    } : stream;
                    result = new DeviceGenerator(onDevice.llama()).generate(prompt, options, recordThenStream);
                    sparsity = readCounts ? recorder : null;
                }
            } else {
                try (DeviceLlama onDevice = DeviceLlama.create(model, device, decode)) {
                    how = DevicesCommand.describe(device) + (onDevice.capturing() ? " (DeviceLlama, CUDA-graph capture)" : " (DeviceLlama)");
                    result = new DeviceGenerator(onDevice).generate(prompt, options, stream);
                }
            }
            if (decoder != null) {
                console.out().print(decoder.flush());
            }
            console.out().println();
            if (printIds) {
                console.println(IntStream.of(result.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
            }
            if (withoutText[0] > 0) {
                console.status(withoutText[0] + " generated id(s) are beyond the tokenizer's " + textVocab
                        + " tokens (padding rows of the embedding) and have no text; --print-ids shows them");
            }
            console.status(String.format(Locale.ROOT,
                    "prompt: %d tokens, %.1f tok/s | generated: %d tokens, %.1f tok/s | stop: %s | device: %s%s",
                    result.promptTokens(), result.promptTokensPerSecond(), result.tokens().length, result.generatedTokensPerSecond(),
                    result.stopReason().name().toLowerCase(Locale.ROOT), how, q8_0Note(model, device, decode)));
            if (sparse) {
                reportSparsity(console, sparsity, sparsityReport, sparsityPlot);
            } else if (lteFile) {
                console.status("LTE model run dense (--dense): every FFN neuron computed");
            }
        }
        return 0;
    }

    private static void reportSparsity(Console console, SparsityRecorder sparsity, boolean perLayer, Optional<String> plot)
            throws IOException {
        if (sparsity == null) {
            console.status("FFN sparsity stays on the device (reading it back costs a synchronisation per token);"
                    + " --sparsity-report or --sparsity-plot FILE to measure it");
            return;
        }
        if (perLayer) {
            console.status(SparsityReport.format(sparsity).stripTrailing());
        } else {
            console.status(String.format(Locale.ROOT, "FFN sparsity over %d generated tokens: %.1f%% of FFN neurons skipped"
                    + " (--sparsity-report for each layer)", sparsity.tokens(), 100 * sparsity.overallSparsity()));
        }
        if (plot.isPresent()) {
            SparsityPlot.writeSvg(Path.of(plot.get()), sparsity);
            console.status("wrote " + plot.get());
        }
    }

    /** Whether {@code path} is a GGUF file with LTE metadata (a folder never is). */
    private static boolean isLte(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return false;
        }
        try (GgufFile g = GgufFile.open(path)) {
            return LteGguf.isLte(g.metadata());
        }
    }

    /** The tokenizer of the GGUF file, or of the Hugging Face folder's tokenizer.json. */
    private static Optional<Tokenizer> tokenizerOf(LlamaModel model, Path path) {
        return Files.isDirectory(path) ? Tokenizers.fromFolder(path) : Tokenizers.fromGgufMetadata(model.metadata());
    }

    private static String noTokenizerReason(LlamaModel model, Path path) {
        return Files.isDirectory(path) ? Tokenizers.whyNone(path) : path.getFileName() + " has no tokenizer (no tokenizer.ggml keys)";
    }

    static int[] parseIds(String text, int vocab) {
        String[] parts = text.trim().split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--prompt-ids: '" + parts[i] + "' is not a token id");
            }
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new Args.UsageException("--prompt-ids: token " + ids[i] + " is outside the vocabulary of " + vocab);
            }
        }
        return ids;
    }

    /**
     * A one-turn chat prompt in the two template families lte4j recognises in
     * {@code tokenizer.chat_template} (no general Jinja engine): Llama 3 headers and ChatML (Qwen2).
     * The template's own text is encoded with control tokens parsed; the user's text is encoded as
     * plain text, so it cannot inject control tokens.
     */
    record ChatPrompt(String before, String after) {
        private static final Pattern CHATML_DEFAULT_SYSTEM =
                Pattern.compile("<\\|im_start\\|>system(?:\\\\n|\\n)([^'\"{}<]*)<\\|im_end\\|>");
        private static final Pattern LLAMA3_DATE = Pattern.compile("date_string\\s*=\\s*[\"']([^\"']+)[\"']");

        int[] encode(Tokenizer t, String user) {
            int[] a = t.encodeWithSpecialTokens(before);
            int[] b = t.encode(user);
            int[] c = t.encodeWithSpecialTokens(after);
            int[] all = Arrays.copyOf(a, a.length + b.length + c.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            System.arraycopy(c, 0, all, a.length + b.length, c.length);
            return all;
        }

        static ChatPrompt of(Map<String, Object> metadata, Path path, Tokenizer t) throws IOException {
            String template = template(metadata, path);
            boolean llama3 = template != null ? template.contains("<|start_header_id|>") : t.specialTokenId("<|start_header_id|>").isPresent();
            boolean chatml = template != null ? template.contains("<|im_start|>") : t.specialTokenId("<|im_start|>").isPresent();
            if (llama3) {
                String system = "";
                if (template != null && template.contains("Cutting Knowledge Date")) {
                    // Llama 3.1+ templates always open with this system header
                    Matcher m = LLAMA3_DATE.matcher(template);
                    String date = m.find() ? m.group(1) : LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
                    system = "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
                            + date + "\n\n<|eot_id|>";
                }
                return new ChatPrompt("<|begin_of_text|>" + system + "<|start_header_id|>user<|end_header_id|>\n\n",
                        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            if (chatml) {
                String system = "";
                Matcher m = template == null ? null : CHATML_DEFAULT_SYSTEM.matcher(template);
                if (m != null && m.find()) {
                    system = "<|im_start|>system\n" + m.group(1).replace("\\n", "\n") + "<|im_end|>\n";
                }
                return new ChatPrompt(system + "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n");
            }
            throw new IllegalArgumentException(template == null
                    ? "--chat: the model has no tokenizer.chat_template and no Llama-3 or ChatML control tokens"
                    : "--chat: the model's chat template is neither Llama-3 nor ChatML style, the two lte4j recognises; run without --chat");
        }

        /** GGUF {@code tokenizer.chat_template}, or tokenizer_config.json's {@code chat_template} in a folder. */
        private static String template(Map<String, Object> metadata, Path path) throws IOException {
            if (metadata.get("tokenizer.chat_template") instanceof String s) {
                return s;
            }
            Path config = path.resolve("tokenizer_config.json");
            if (Files.isDirectory(path) && Files.isRegularFile(config)) {
                Object t = Json.parseObject(Files.readString(config)).get("chat_template");
                if (t instanceof String s) {
                    return s;
                }
                if (t instanceof List<?> named) { // [{"name": "default", "template": "..."}, ...]
                    for (Object o : named) {
                        if (o instanceof Map<?, ?> entry && "default".equals(entry.get("name")) && entry.get("template") instanceof String s) {
                            return s;
                        }
                    }
                }
            }
            return null;
        }
    }

    /** Where Q8_0 weights multiply int8 blocks of their inputs (CUDA by default), the summary says so: the logits differ from the JVM's by that rounding. */
    private static String q8_0Note(LlamaModel model, Device device, DecodeOptions decode) {
        boolean q8_0 = model.layers().getFirst().wq().type() == GgmlType.Q8_0 || model.layers().getFirst().wq().type() == GgmlType.Q4_0;
        boolean int8 = decode.q8_0Input() == DecodeOptions.Q8_0Input.INT8_BLOCKS && decode.gemv() == DecodeOptions.GemvSplit.GROUPS_OF_ROWS;
        return q8_0 && int8 && device.kind() != BackendKind.JVM ? "; Q8_0 weights times int8 blocks of their inputs (--q8-input floats: exact products)" : "";
    }
}
