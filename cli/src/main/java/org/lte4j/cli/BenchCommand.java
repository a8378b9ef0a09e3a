package org.lte4j.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import org.lte4j.bench.decode.DecodeBenchmark;
import org.lte4j.bench.decode.SyntheticModel;
import org.lte4j.bench.decode.SyntheticPreset;
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
        return "decode speed (ms/token, GB/s against a device copy, host overhead) of a model or a synthetic preset";
    }

    @Override
    public String usage() {
        return "--model PATH | --synthetic " + String.join("|", SyntheticPreset.names().split(", "))
                + " [--device SPEC] [--tokens N] [--warmup N] [--dtype f16|q8_0|f32|bf16|q4_0] [--seed S] [--local N] [--json FILE]";
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
        int local = args.getInt("local", 0);
        Optional<String> json = args.get("json");
        if (args.get("sparsity").isPresent()) {
            throw new Args.UsageException("--sparsity: the LTE sparse decode is not part of this benchmark yet");
        }
        args.rejectUnknown();
        if (modelPath.isPresent() == synthetic.isPresent()) {
            throw new Args.UsageException("give exactly one of --model PATH and --synthetic PRESET");
        }
        if (modelPath.isPresent() && dtype.isPresent()) {
            throw new Args.UsageException("--dtype applies to --synthetic models; a model file keeps its own types");
        }
        DecodeBenchmark.Setup setup;
        try {
            setup = new DecodeBenchmark.Setup(tokens, warmUp, local);
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
            DecodeBenchmark.Report report = DecodeBenchmark.run(m, name, device, setup, console::println);
            if (json.isPresent()) {
                Files.writeString(Path.of(json.get()), report.toJson());
                console.status("wrote " + json.get());
            }
        }
        return 0;
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
