package org.lte4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.lte4j.bench.RuntimeBenchmark;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.selftest.SelfTest;

/**
 * The main job: generate Shakespeare-like text with the bundled LTE model, sparse, printing
 * tokens/s and the measured FFN sparsity. A build without the bundled model proves the runtime
 * instead (kernel self-test and GEMV benchmark on the best device) and says so.
 */
final class DemoCommand implements Subcommand {
    /** The default model: trained by lte4j's own pipeline (docs/MODEL_CARD.md). */
    static final String DEFAULT_MODEL = "/org/lte4j/cli/default-model.gguf";

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "the main job: sparse text generation with the bundled LTE model (or, without one, self-test + GEMV benchmark)";
    }

    @Override
    public String usage() {
        return "[--device SPEC] [--prompt TEXT] [--max-tokens N] [--seed S]";
    }

    @Override
    public int run(Args args, Console console) throws Exception {
        String device = args.get("device").orElse(null);
        String prompt = args.get("prompt", "ROMEO:\n");
        int maxTokens = args.getInt("max-tokens", 120); // the bundled model has a 128-token context
        long seed = args.getLong("seed", 42);
        args.rejectUnknown();
        Path model = extractDefaultModel();
        if (model == null) {
            return runtimeDemo(Devices.select(device == null ? "auto" : device), console);
        }
        try {
            // The bundled model is small: on the JVM its sparse FFN skips rows directly, while a
            // device would be bound by per-launch cost. --device overrides.
            String spec = device == null ? "jvm" : device;
            console.status("lte4j demo: the bundled LTE model (" + Files.size(model) / 1024 + " KiB, see docs/MODEL_CARD.md), sparse, on " + spec);
            List<String> words = new ArrayList<>(List.of("--model", model.toString(), "--prompt", prompt,
                    "--max-tokens", Integer.toString(maxTokens), "--temperature", "0.8", "--top-p", "0.95",
                    "--seed", Long.toString(seed), "--device", spec, "--sparsity-report"));
            GenerateCommand generate = new GenerateCommand();
            return generate.run(new Args(words, generate.flags()), console);
        } finally {
            Files.deleteIfExists(model);
        }
    }

    private static int runtimeDemo(Device device, Console console) {
        console.println("lte4j demo: no default model is bundled in this build, so this runs the kernel self-test and a GEMV benchmark on "
                + DevicesCommand.describe(device) + ".");
        SelfTest.Summary s = SelfTest.run(device, 42, console::println);
        RuntimeBenchmark.run(device, console::println);
        return s.failed() == 0 ? 0 : 1;
    }

    /** The bundled model copied to a temporary file (models are memory-mapped), or null if this build has none. */
    private static Path extractDefaultModel() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(DEFAULT_MODEL)) {
            if (in == null) {
                return null;
            }
            Path file = Files.createTempFile("lte4j-default-model", ".gguf");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }
}
