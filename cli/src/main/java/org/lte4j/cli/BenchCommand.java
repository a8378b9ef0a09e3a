package org.lte4j.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import org.lte4j.bench.decode.DecodeBenchmark;
import org.lte4j.bench.decode.SparseDecodeBenchmark;
import org.lte4j.bench.decode.SparsityLatencyPlot;
import org.lte4j.bench.decode.SyntheticModel;
import org.lte4j.bench.decode.SyntheticPreset;
import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;

/**
 * {@code lte4j bench}: batch-1 decode speed of a model file or of a synthetic model (a preset's
 * shape, seeded random weights made in memory), against a device copy measured in the same run.
 */
final class BenchCommand implements Subcommand {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "decode speed (ms/token, GB/s against a device copy, host overhead) of a model or a synthetic preset;"
                + " with --sparsity, LTE sparse decode against dense";
    }

    @Override
    public String usage() {
        return "--model PATH | --synthetic " + String.join("|", SyntheticPreset.names().split(", "))
                + " [--device SPEC] [--tokens N] [--warmup N] [--context N] [--dtype f16|q8_0|f32|bf16|q4_0] [--seed S] [--local N] [--attention per-position-item|lanes-per-position|split-positions|item-per-head] [--layer-steps fused|separate] [--q8-input floats|int8] [--json FILE]"
                + " [--sparsity 0,0.3,0.5,0.7,0.9 [--plot FILE.svg]]";
    }

    @Override
    public int run(Args args, Console console) throws Exception {
        Optional<String> modelPath = args.get("model");
        Optional<String> synthetic = args.get("synthetic");
        Optional<String> dtype = args.get("dtype");
        long seed = args.getLong("seed", 42);
        Device device = Devices.select(args.get("device", "auto"));
        int tokens = args.getInt("tokens", 32);
        int warmUp = args.getInt("warmup", 8);
        int context = args.getInt("context", 0);
        int local = args.getInt("local", 0);
        Optional<DecodeOptions.AttentionKernel> attention = args.get("attention").map(BenchCommand::parseAttention);
        Optional<Boolean> fuseLayerSteps = args.get("layer-steps").map(BenchCommand::parseLayerSteps);
        Optional<DecodeOptions.Q8_0Input> q8_0Input = args.get("q8-input").map(BenchCommand::parseQ8_0Input);
        Optional<String> json = args.get("json");
        Optional<double[]> sparsities = args.get("sparsity").map(BenchCommand::parseSparsities);
        Optional<String> plot = args.get("plot");
        args.rejectUnknown();
        if (plot.isPresent() && sparsities.isEmpty()) {
            throw new Args.UsageException("--plot draws latency against sparsity; give --sparsity too");
        }
        if (modelPath.isPresent() == synthetic.isPresent()) {
            throw new Args.UsageException("give exactly one of --model PATH and --synthetic PRESET");
        }
        if (modelPath.isPresent() && dtype.isPresent()) {
            throw new Args.UsageException("--dtype applies to --synthetic models; a model file keeps its own types");
        }
        DecodeBenchmark.Setup setup;
        try {
            setup = new DecodeBenchmark.Setup(tokens, warmUp, local, attention, fuseLayerSteps, context, q8_0Input);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }

        String name;
        LlamaModel model;
        if (synthetic.isPresent()) {
            SyntheticPreset preset = SyntheticPreset.byName(synthetic.get());
            GgmlType type = parseType(dtype.orElse("f16"));
            long bytes = SyntheticModel.bytes(preset, type);
            long physical = physicalMemory();
            if (physical > 0 && bytes > physical * 0.85) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "synthetic %s in %s needs %.1f GB of host memory; this machine has %.1f GB", preset.cliName, type, bytes / 1e9, physical / 1e9));
            }
            console.status(String.format(Locale.ROOT, "making synthetic %s (%s, %.2f GB, seed %d)...", preset.cliName, type, bytes / 1e9, seed));
            model = SyntheticModel.create(preset, type, seed);
            name = "synthetic " + preset.cliName + " " + type;
        } else {
            Path path = Path.of(modelPath.get());
            if (!Files.exists(path)) {
                throw new IllegalArgumentException("no model at " + path + " (give a GGUF file or a Hugging Face folder)");
            }
            model = LlamaModel.load(path);
            name = path.getFileName().toString();
        }
        try (LlamaModel m = model) {
            if (sparsities.isPresent()) {
                if (m.config().hiddenDim() % SparseDecodeBenchmark.EXPERT_SIZE != 0) {
                    throw new IllegalArgumentException("FFN width " + m.config().hiddenDim() + " is not a multiple of the expert size "
                            + SparseDecodeBenchmark.EXPERT_SIZE);
                }
                SparseDecodeBenchmark.Report report = SparseDecodeBenchmark.run(m, name, device, setup, sparsities.get(), seed, console::println);
                if (json.isPresent()) {
                    Files.writeString(Path.of(json.get()), report.toJson());
                    console.status("wrote " + json.get());
                }
                if (plot.isPresent()) {
                    SparsityLatencyPlot.writeSvg(Path.of(plot.get()), report);
                    console.status("wrote " + plot.get());
                }
                return 0;
            }
            DecodeBenchmark.Report report = DecodeBenchmark.run(m, name, device, setup, console::println);
            if (json.isPresent()) {
                Files.writeString(Path.of(json.get()), report.toJson());
                console.status("wrote " + json.get());
            }
        }
        return 0;
    }

    /**
     * Target sparsities (fractions of FFN neurons skipped) in [0, 1). A model file's own routers
     * are not used: every run, file or synthetic, gets synthetic routers (see SyntheticRouters),
     * which needs only experts of 32 contiguous neurons, true of any FFN for timing purposes.
     */
    static double[] parseSparsities(String text) {
        String[] parts = text.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--sparsity: '" + parts[i] + "' is not a number");
            }
            if (!(out[i] >= 0 && out[i] < 1)) {
                throw new Args.UsageException("--sparsity: each value must be in [0, 1), got " + parts[i].trim());
            }
        }
        return out;
    }

    /** fused: fp16 layers as five launches, Q8_0 as six; separate: every step its own kernel (to measure the fusion); absent: the device default. */
    private static boolean parseLayerSteps(String s) {
        return switch (s) {
            case "fused" -> true;
            case "separate" -> false;
            default -> throw new Args.UsageException("--layer-steps must be fused or separate, not '" + s + "'");
        };
    }

    /** floats: Q8_0 weights times the input's floats; int8: times its int8 blocks (GGML's q8_0 x q8_0); absent: the device default. */
    static DecodeOptions.Q8_0Input parseQ8_0Input(String s) {
        return switch (s) {
            case "floats" -> DecodeOptions.Q8_0Input.FLOATS;
            case "int8" -> DecodeOptions.Q8_0Input.INT8_BLOCKS;
            default -> throw new Args.UsageException("--q8-input must be floats or int8, not '" + s + "'");
        };
    }

    private static DecodeOptions.AttentionKernel parseAttention(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "per-position-item" -> DecodeOptions.AttentionKernel.PER_POSITION_ITEM;
            case "lanes-per-position" -> DecodeOptions.AttentionKernel.LANES_PER_POSITION;
            case "split-positions" -> DecodeOptions.AttentionKernel.SPLIT_POSITIONS;
            case "item-per-head" -> DecodeOptions.AttentionKernel.ITEM_PER_HEAD;
            default -> throw new Args.UsageException("--attention must be per-position-item, lanes-per-position, split-positions or item-per-head, not '"
                    + s + "'");
        };
    }

    private static GgmlType parseType(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> throw new Args.UsageException("--dtype must be f16, q8_0, f32, bf16 or q4_0, not '" + s + "'");
        };
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }
}
