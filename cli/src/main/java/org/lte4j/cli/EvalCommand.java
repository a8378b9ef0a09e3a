package org.lte4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.lte4j.model.lte.EvalResult;
import org.lte4j.model.lte.Evaluate;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;

/** Perplexity on a text split, with the measured FFN sparsity. */
final class EvalCommand implements Subcommand {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "perplexity on the held-out (or training) part of a text, with measured FFN sparsity";
    }

    @Override
    public String usage() {
        return "--model PATH --data TEXT [--split val|train] [--dense] [--tokens N] [--threads N] [--json FILE]";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("dense");
    }

    @Override
    public int run(Args args, Console console) throws IOException {
        TextData.Split split = switch (args.get("split", "val")) {
            case "val" -> TextData.Split.VALIDATION;
            case "train" -> TextData.Split.TRAIN;
            default -> throw new Args.UsageException("--split is val (the last 10% of the text) or train");
        };
        Evaluate.Options o = new Evaluate.Options(Path.of(args.require("model")), Path.of(args.require("data")), split,
                args.flag("dense"), args.getLong("tokens", 0), args.getInt("threads", Runtime.getRuntime().availableProcessors()));
        String json = args.get("json").orElse(null);
        args.rejectUnknown();
        EvalResult r = Evaluate.run(o, ProgressListener.printingTo(console.err()));
        console.println(String.format(Locale.ROOT, "%s: perplexity %.3f, nll %.4f, FFN sparsity %.3f, %d tokens",
                r.method(), r.perplexity(), r.nll(), r.sparsity(), r.tokens()));
        if (json != null) {
            Files.writeString(Path.of(json), String.format(Locale.ROOT,
                    "{\"method\": \"%s\", \"perplexity\": %.6f, \"nll\": %.6f, \"sparsity\": %.6f, \"tokens\": %d}%n",
                    r.method(), r.perplexity(), r.nll(), r.sparsity(), r.tokens()));
        }
        return 0;
    }
}
