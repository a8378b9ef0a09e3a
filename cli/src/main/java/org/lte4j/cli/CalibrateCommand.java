package org.lte4j.cli;

import java.nio.file.Path;

import org.lte4j.model.lte.Calibrate;
import org.lte4j.model.lte.CalibrateOptions;
import org.lte4j.model.train.ProgressListener;

/** Trains only the routers of a frozen model: a sparse model without full LTE training. */
final class CalibrateCommand implements Subcommand {
    @Override
    public String name() {
        return "calibrate";
    }

    @Override
    public String summary() {
        return "train only the routers of a frozen model (efficiency + separability + closeness to dense)";
    }

    @Override
    public String usage() {
        return "--model IN --data TEXT --out OUT.gguf --eta E [--steps N] [--batch N]";
    }

    @Override
    public int run(Args args, Console console) {
        CalibrateOptions o = CalibrateOptions.defaults(Path.of(args.require("model")), Path.of(args.require("data")),
                args.getDouble("eta", Double.NaN), Path.of(args.require("out")));
        o = o.withSteps(args.getLong("steps", o.steps())).withBatch(args.getInt("batch", o.batch()), o.seq());
        args.rejectUnknown();
        Calibrate.Result r = Calibrate.run(o, ProgressListener.printingTo(console.err()));
        for (Calibrate.LayerReport l : r.layers()) {
            console.println(String.format("layer %2d: sparsity %.3f, relative FFN error %.4f", l.layer(), l.sparsity(), l.relativeError()));
        }
        console.println(String.format("overall FFN sparsity %.3f (%.0f s)", r.sparsity(), r.seconds()));
        return 0;
    }
}
