package org.lte4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.lte4j.model.sparse.LteSettings;
import org.lte4j.model.sparse.Moefy;
import org.lte4j.model.sparse.MoefyReport;

/**
 * {@code lte4j moefy}: a dense GGUF model to an LTE GGUF model, its FFN neurons grouped into
 * experts by balanced k-means and permuted, with initial routers ({@link Moefy}). Progress on
 * stderr, the per-layer summary on stdout.
 */
final class MoefyCommand implements Subcommand {
    @Override
    public String name() {
        return "moefy";
    }

    @Override
    public String summary() {
        return "group a dense GGUF model's FFN neurons into experts and add LTE routers (writes an LTE GGUF)";
    }

    @Override
    public String usage() {
        return "--model IN.gguf --out OUT.gguf [--expert-size " + LteSettings.DEFAULT_EXPERT_SIZE + "] [--seed S]";
    }

    @Override
    public int run(Args args, Console console) throws Exception {
        Path in = Path.of(args.require("model"));
        Path out = Path.of(args.require("out"));
        int expertSize = args.getInt("expert-size", LteSettings.DEFAULT_EXPERT_SIZE);
        long seed = args.getLong("seed", 42);
        args.rejectUnknown();
        if (expertSize <= 0) {
            throw new Args.UsageException("--expert-size must be positive, was " + expertSize);
        }
        long t0 = System.nanoTime();
        MoefyReport report = Moefy.run(in, out, expertSize, seed, console::status);
        console.println(String.format(Locale.ROOT, "%s: %d experts of %d neurons per layer, threshold %.2f",
                out, report.experts(), report.expertSize(), LteSettings.DEFAULT_THRESHOLD));
        console.println(String.format(Locale.ROOT, "%5s %14s %10s %22s", "layer", "mean distance", "iterations",
                "initial router passes"));
        for (MoefyReport.Layer l : report.layers()) {
            console.println(String.format(Locale.ROOT, "%5d %14.4f %10d %21.0f%%", l.layer(), l.meanDistance(),
                    l.iterations(), 100 * l.routerActiveFraction()));
        }
        console.status(String.format(Locale.ROOT, "done in %.1f s", (System.nanoTime() - t0) / 1e9));
        return 0;
    }
}
