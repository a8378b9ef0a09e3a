package org.lte4j.cli;

import java.nio.file.Path;

import org.lte4j.model.lte.LteTrain;
import org.lte4j.model.lte.LteTrainOptions;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TrainResult;

/** LTE training: stage 1 (soft gating, efficiency loss) or stage 2 (hard gating, routers frozen). */
final class TrainCommand implements Subcommand {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "LTE training: --stage 1 (routers + weights, soft gating, eta) or --stage 2 (hard gating, routers frozen)";
    }

    @Override
    public String usage() {
        return "--model IN --data TEXT --out OUT.gguf --stage 1|2 [--eta E] [--steps N] [--batch N] [--lr X] [--threads N]";
    }

    @Override
    public int run(Args args, Console console) {
        int stage = args.getInt("stage", 0);
        LteTrainOptions o = LteTrainOptions.defaults(Path.of(args.require("model")), Path.of(args.require("data")), stage,
                args.getDouble("eta", 0), Path.of(args.require("out")));
        o = o.withSteps(args.getLong("steps", o.steps())).withBatch(args.getInt("batch", o.batch()), o.seq())
                .withLearningRate((float) args.getDouble("lr", o.learningRate())).withThreads(args.getInt("threads", o.threads()));
        args.rejectUnknown();
        TrainResult r = LteTrain.run(o, ProgressListener.printingTo(console.err()));
        console.println(String.valueOf(r));
        return 0;
    }
}
