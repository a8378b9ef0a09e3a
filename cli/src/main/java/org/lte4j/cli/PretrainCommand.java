package org.lte4j.cli;

import java.nio.file.Path;

import org.lte4j.model.train.Pretrain;
import org.lte4j.model.train.PretrainOptions;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TrainResult;

/** Trains a small Llama from scratch on a text file (last 10% held out for validation). */
final class PretrainCommand implements Subcommand {
    @Override
    public String name() {
        return "pretrain";
    }

    @Override
    public String summary() {
        return "train a small Llama from scratch on a text file (checkpoints, resume, held-out validation)";
    }

    @Override
    public String usage() {
        return "--data TEXT --out OUT.gguf [--preset NAME] [--vocab N] [--steps N] [--batch N] [--seq N] [--lr X] [--seed S] [--threads N]";
    }

    @Override
    public int run(Args args, Console console) {
        PretrainOptions d = PretrainOptions.defaults(Path.of(args.require("data")), args.get("preset", "shakespeare-1m"),
                Path.of(args.require("out")));
        PretrainOptions o = new PretrainOptions(d.data(), d.preset(), args.getInt("vocab", d.tokenizerVocab()),
                args.getLong("steps", d.steps()), args.getInt("batch", d.batch()), args.getInt("seq", d.seq()),
                (float) args.getDouble("lr", d.learningRate()), d.warmup(), d.weightDecay(), d.clipNorm(),
                args.getLong("seed", d.seed()), args.getInt("threads", d.threads()), d.out(), d.checkpointEvery(),
                d.resume(), d.evalEvery(), d.evalTokens());
        args.rejectUnknown();
        TrainResult r = Pretrain.run(o, ProgressListener.printingTo(console.err()));
        console.println(String.valueOf(r));
        return 0;
    }
}
