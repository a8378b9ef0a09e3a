package org.lte4j.model.lte;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lte4j.model.train.Pretrain;
import org.lte4j.model.train.PretrainOptions;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;

/**
 * Developer entry point for the training facades, so that the commands in docs/QUALITY.md and
 * docs/MODEL_CARD.md run without the CLI module: {@code pretrain|lte|calibrate|eval|sweep} followed
 * by {@code key=value} arguments (see each case for the keys).
 */
public final class TrainTool {
    private TrainTool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: TrainTool pretrain|lte|calibrate|eval|sweep key=value...");
            System.exit(2);
        }
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq < 0) fail("arguments are key=value, got " + args[i]);
            a.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        ProgressListener out = ProgressListener.printingTo(System.out);
        int threads = Integer.parseInt(a.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        try {
            switch (args[0]) {
                case "pretrain" -> {
                    PretrainOptions d = PretrainOptions.defaults(Path.of(req(a, "data")), a.getOrDefault("preset", "shakespeare-1m"),
                            Path.of(req(a, "out")));
                    PretrainOptions o = new PretrainOptions(d.data(), d.preset(),
                            Integer.parseInt(a.getOrDefault("vocab", "256")), Long.parseLong(a.getOrDefault("steps", "1200")),
                            Integer.parseInt(a.getOrDefault("batch", "16")), Integer.parseInt(a.getOrDefault("seq", "0")),
                            Float.parseFloat(a.getOrDefault("lr", "3e-3")), Long.parseLong(a.getOrDefault("warmup", "100")),
                            d.weightDecay(), d.clipNorm(), Long.parseLong(a.getOrDefault("seed", "1234")), threads, d.out(),
                            Long.parseLong(a.getOrDefault("checkpointEvery", "200")), true,
                            Long.parseLong(a.getOrDefault("evalEvery", "600")), Long.parseLong(a.getOrDefault("evalTokens", "16384")));
                    Pretrain.run(o, out);
                }
                case "lte" -> {
                    LteTrainOptions o = LteTrainOptions.defaults(Path.of(req(a, "model")), Path.of(req(a, "data")),
                                    Integer.parseInt(req(a, "stage")), Double.parseDouble(a.getOrDefault("eta", "0")),
                                    Path.of(req(a, "out")))
                            .withSteps(Long.parseLong(a.getOrDefault("steps", "200")))
                            .withBatch(Integer.parseInt(a.getOrDefault("batch", "8")), 0)
                            .withEvalTokens(Long.parseLong(a.getOrDefault("evalTokens", "16384"))).withThreads(threads)
                            .withRouterCalibrationSteps(Long.parseLong(a.getOrDefault("calibrationSteps", "0")));
                    if (a.containsKey("lr")) o = o.withLearningRate(Float.parseFloat(a.get("lr")));
                    if (a.containsKey("routerLrMultiplier")) o = o.withRouterLrMultiplier(Float.parseFloat(a.get("routerLrMultiplier")));
                    o = o.withSparsitySteering(Double.parseDouble(a.getOrDefault("targetSparsity", "0")),
                            Double.parseDouble(a.getOrDefault("separationFrom", "0")));
                    LteTrain.run(o, out);
                }
                case "calibrate" -> {
                    CalibrateOptions d = CalibrateOptions.defaults(Path.of(req(a, "model")), Path.of(req(a, "data")),
                            Double.parseDouble(a.getOrDefault("eta", "10")), Path.of(req(a, "out")));
                    Calibrate.run(new CalibrateOptions(d.model(), d.data(), d.eta(),
                            Double.parseDouble(a.getOrDefault("lambda", "0.5")), Double.parseDouble(a.getOrDefault("mu", "1")),
                            Long.parseLong(a.getOrDefault("steps", "60")), Integer.parseInt(a.getOrDefault("batch", "8")), 0,
                            Float.parseFloat(a.getOrDefault("lr", "1e-2")), Long.parseLong(a.getOrDefault("seed", "1234")),
                            threads, d.out(), d.lte(), d.kmeansIterations()), out);
                }
                case "eval" -> {
                    EvalResult r = Evaluate.run(new Evaluate.Options(Path.of(req(a, "model")), Path.of(req(a, "data")),
                            TextData.Split.valueOf(a.getOrDefault("split", "VALIDATION").toUpperCase(java.util.Locale.ROOT)),
                            Boolean.parseBoolean(a.getOrDefault("dense", "false")),
                            Long.parseLong(a.getOrDefault("evalTokens", "0")), threads), out);
                    System.out.printf(java.util.Locale.ROOT, "%s: perplexity %.3f  nll %.4f  FFN sparsity %.3f  (%d tokens)%n",
                            r.method(), r.perplexity(), r.nll(), r.sparsity(), r.tokens());
                }
                case "sweep" -> {
                    String[] rest = new String[args.length - 1];
                    System.arraycopy(args, 1, rest, 0, rest.length);
                    QualitySweep.main(rest);
                }
                default -> fail("unknown command " + args[0] + " (pretrain|lte|calibrate|eval|sweep)");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            fail(e.getMessage());
        }
    }

    private static String req(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) fail("missing argument " + key + "=...");
        return v;
    }

    private static void fail(String message) {
        System.err.println("error: " + message);
        System.exit(1);
    }
}
