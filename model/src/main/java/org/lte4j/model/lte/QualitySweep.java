package org.lte4j.model.lte;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lte4j.model.train.FfnMode;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.LteSpec;
import org.lte4j.model.train.ModelIO;
import org.lte4j.model.train.Parallel;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;
import org.lte4j.model.train.TokenBatches;
import org.lte4j.model.train.TrainResult;
import org.lte4j.model.train.TrainableLlama;

/**
 * The quality experiment of docs/QUALITY.md: a pretrained dense model against LTE (stage 1 and 2
 * at several eta) and the baselines (activation-magnitude thresholds, MoEfication-style top-k
 * experts, random experts) at FFN sparsity near 0.3/0.5/0.7/0.8, all on the held-out 10%.
 * Writes {@code results.tsv}, {@code table.md} and {@code perplexity-vs-sparsity.svg} to the
 * output folder.
 *
 * <p>Arguments are {@code key=value}: base, data, out, etas (comma-separated), stage1Steps,
 * stage2Steps, batch, evalTokens, threads, seed, baselines (true/false), calibEtas, calibSteps,
 * routerCalibrationSteps (router init before stage 1), targets (comma-separated target
 * sparsities: eta is steered to each instead of fixed; the first of etas is the starting eta),
 * separationFrom (fraction of stage 1 before L_sep ramps in), stage1Lr, stage2Lr, label and tag
 * (names of the LTE rows and files); or report=a.tsv,b.tsv out=dir to merge finished sweeps into one table and plot.
 */
public final class QualitySweep {
    private QualitySweep() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        for (String s : args) {
            int eq = s.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("arguments are key=value, got " + s);
            a.put(s.substring(0, eq), s.substring(eq + 1));
        }
        if (a.containsKey("report")) {
            report(a.get("report").split(","), Path.of(req(a, "out")));
            return;
        }
        Path base = Path.of(req(a, "base")), data = Path.of(req(a, "data")), out = Path.of(req(a, "out"));
        long s1 = Long.parseLong(a.getOrDefault("stage1Steps", "200"));
        long s2 = Long.parseLong(a.getOrDefault("stage2Steps", "100"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
        long evalTokens = Long.parseLong(a.getOrDefault("evalTokens", "16384"));
        int threads = Integer.parseInt(a.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        long seed = Long.parseLong(a.getOrDefault("seed", "1234"));
        boolean baselines = Boolean.parseBoolean(a.getOrDefault("baselines", "true"));
        List<Double> etas = new ArrayList<>();
        for (String e : a.getOrDefault("etas", "0.5,2,5,10").split(",")) if (!e.isBlank()) etas.add(Double.parseDouble(e));
        Files.createDirectories(out);
        ProgressListener log = ProgressListener.printingTo(System.out);
        ProgressListener quiet = line -> {
            if (!line.startsWith("eval ") && !line.contains("k-means iteration")) log.onProgress(line);
        };

        ModelIO.Loaded loaded = ModelIO.load(base);
        TextData text = TextData.load(data);
        int[] valid = loaded.tokenizer().encode(text.validation());
        int[] train = loaded.tokenizer().encode(text.train());
        List<EvalResult> results = new ArrayList<>();
        Path tsv = out.resolve("results.tsv");
        EvalResult dense = Evaluate.run(loaded.weights(), valid, FfnMode.DENSE, null, evalTokens, threads, "dense", quiet);
        record(results, tsv, dense, "");
        double[] targets = {0.3, 0.5, 0.7, 0.8};
        if (baselines) {
            LlamaWeights grouped = loaded.weights().copy();
            ExpertGrouping.apply(grouped, LteSpec.DEFAULT, seed, 20, quiet);
            int experts = LteSpec.DEFAULT.experts(grouped.config().ffnDim());
            try (Parallel par = new Parallel(threads)) {
                TrainableLlama m = new TrainableLlama(grouped, par);
                TokenBatches calib = new TokenBatches(train, batch, grouped.config().contextLength(), seed + 5);
                MoeficationTopK topk = MoeficationTopK.fit(m, calib, 8, LteSpec.DEFAULT.expertSize());
                for (double t : targets) {
                    MagnitudeThreshold mt = MagnitudeThreshold.calibrate(m, calib, 8, t);
                    record(results, tsv, Evaluate.run(grouped, valid, FfnMode.DENSE, mt, evalTokens, threads,
                            "magnitude threshold (CATS/TEAL-style)", quiet), "target " + t);
                    int k = Math.max(1, (int) Math.round(experts * (1 - t)));
                    record(results, tsv, Evaluate.run(grouped, valid, FfnMode.DENSE, topk.withTopK(k), evalTokens,
                            threads, "MoEfication top-k", quiet), "k=" + k + "/" + experts);
                    record(results, tsv, Evaluate.run(grouped, valid, FfnMode.DENSE,
                            new RandomExperts(experts, LteSpec.DEFAULT.expertSize(), k, seed), evalTokens, threads,
                            "random experts", quiet), "k=" + k + "/" + experts);
                }
            }
        }
        List<Double> calibEtas = new ArrayList<>();
        for (String e : a.getOrDefault("calibEtas", "").split(",")) if (!e.isBlank()) calibEtas.add(Double.parseDouble(e));
        long calibSteps = Long.parseLong(a.getOrDefault("calibSteps", "60"));
        for (double eta : calibEtas) {
            LlamaWeights w = loaded.weights().copy();
            ExpertGrouping.apply(w, LteSpec.DEFAULT, seed, 20, quiet);
            w.addRouters(LteSpec.DEFAULT, seed);
            CalibrateOptions co = CalibrateOptions.defaults(base, data, eta, out.resolve("unused.gguf"))
                    .withSteps(calibSteps).withBatch(batch, 0);
            Calibrate.calibrate(w, train, co, quiet);
            record(results, tsv, Evaluate.run(w, valid, FfnMode.HARD, null, evalTokens, threads,
                    "LTE routers calibrated on the frozen model", quiet), "eta=" + eta + ", " + calibSteps + " steps");
        }
        // targets=... steers eta to each target sparsity (LteLossSchedule.targeting) instead of fixing it
        List<Double> targetSparsities = new ArrayList<>();
        for (String t : a.getOrDefault("targets", "").split(",")) if (!t.isBlank()) targetSparsities.add(Double.parseDouble(t));
        List<double[]> runs = new ArrayList<>(); // {eta, target}
        if (targetSparsities.isEmpty()) for (double eta : etas) runs.add(new double[] {eta, 0});
        else for (double t : targetSparsities) runs.add(new double[] {a.containsKey("etas") ? etas.get(0) : 10, t});
        double sepFrom = Double.parseDouble(a.getOrDefault("separationFrom", "0"));
        for (double[] run : runs) {
            double eta = run[0], target = run[1];
            String name = target > 0 ? "target" + target : "eta" + eta;
            String tag = String.format(Locale.ROOT, "%s%s", name, a.getOrDefault("tag", ""));
            String setting = target > 0 ? "target " + target + " (eta from " + eta + ")" : "eta=" + eta;
            Path st1 = out.resolve("lte-" + tag + "-stage1.gguf"), st2 = out.resolve("lte-" + tag + "-stage2.gguf");
            LteTrainOptions o1 = LteTrainOptions.defaults(base, data, 1, eta, st1).withSteps(s1)
                    .withBatch(batch, 0).withEvalTokens(evalTokens).withThreads(threads)
                    .withRouterCalibrationSteps(Long.parseLong(a.getOrDefault("routerCalibrationSteps", "0")))
                    .withSparsitySteering(target, sepFrom);
            if (a.containsKey("stage1Lr")) o1 = o1.withLearningRate(Float.parseFloat(a.get("stage1Lr")));
            TrainResult r1 = LteTrain.run(o1, quiet);
            record(results, tsv, new EvalResult(a.getOrDefault("label", "LTE") + " stage 1 only (hard gating at eval)", r1.validationNll(),
                    r1.validationPerplexity(), r1.validationSparsity(), evalTokens), setting + ", " + s1 + " steps");
            LteTrainOptions o2 = LteTrainOptions.defaults(st1, data, 2, 0, st2).withSteps(s2).withBatch(batch, 0)
                    .withEvalTokens(evalTokens).withThreads(threads);
            if (a.containsKey("stage2Lr")) o2 = o2.withLearningRate(Float.parseFloat(a.get("stage2Lr")));
            TrainResult r2 = LteTrain.run(o2, quiet);
            record(results, tsv, new EvalResult(a.getOrDefault("label", "LTE") + " (stage 1 + 2)", r2.validationNll(), r2.validationPerplexity(),
                    r2.validationSparsity(), evalTokens), setting + ", " + s1 + "+" + s2 + " steps");
        }
        writeOutputs(out, results, dense.perplexity());
    }

    private static void record(List<EvalResult> results, Path tsv, EvalResult r, String setting) throws IOException {
        results.add(r);
        String line = String.format(Locale.ROOT, "%s\t%s\t%.4f\t%.3f\t%.4f%n", r.method(), setting, r.sparsity(),
                r.perplexity(), r.nll());
        Files.writeString(tsv, line, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        System.out.print("RESULT " + line);
    }

    static void writeOutputs(Path out, List<EvalResult> results, double densePpl) throws IOException {
        StringBuilder md = new StringBuilder("| method | FFN sparsity | perplexity | nll (nats/token) |\n|---|---|---|---|\n");
        for (EvalResult r : results) {
            md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.4f |%n", r.method(), r.sparsity(),
                    r.perplexity(), r.nll()));
        }
        Files.writeString(out.resolve("table.md"), md.toString());
        List<EvalResult> sparse = new ArrayList<>();
        for (EvalResult r : results) if (!r.method().equals("dense")) sparse.add(r);
        Files.writeString(out.resolve("perplexity-vs-sparsity.svg"),
                SvgPlot.perplexityVsSparsity("Tiny Shakespeare, held-out 10%: perplexity vs FFN sparsity", sparse, densePpl));
    }

    /** Merges results.tsv files of several sweeps into one table.md and plot (key report=a.tsv,b.tsv). */
    static void report(String[] tsvs, Path out) throws IOException {
        StringBuilder md = new StringBuilder(
                "| method | setting | FFN sparsity | FFN compute saved | perplexity | nll (nats/byte) |\n|---|---|---|---|---|---|\n");
        List<EvalResult> points = new ArrayList<>();
        double dense = Double.NaN;
        for (String t : tsvs) {
            for (String line : Files.readAllLines(Path.of(t))) {
                String[] f = line.split("\t");
                if (f.length < 5) continue;
                EvalResult r = new EvalResult(f[0], Double.parseDouble(f[4]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[2]), 0);
                if (r.method().equals("dense")) {
                    if (!Double.isNaN(dense)) continue;
                    dense = r.perplexity();
                } else {
                    points.add(r);
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.3f | %.4f |%n", f[0], f[1], r.sparsity(),
                        computeSaved(r.method(), r.sparsity()), r.perplexity(), r.nll()));
            }
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("table.md"), md.toString());
        Files.writeString(out.resolve("perplexity-vs-sparsity.svg"), SvgPlot.perplexityVsSparsity(
                "Tiny Shakespeare, held-out 10%: perplexity vs FFN sparsity", points, dense));
        SvgPlot.writePng(out.resolve("perplexity-vs-sparsity.png"),
                "Tiny Shakespeare, held-out 10%: perplexity vs FFN sparsity", points, dense);
    }

    /**
     * Fraction of FFN multiply-adds saved: a magnitude threshold needs the whole gate projection
     * (1/3 of the FFN) to decide, a router costs experts x dim per layer (16 x 128 against
     * 3 x 512 x 128 here, 1.0%); random choice costs nothing.
     */
    static double computeSaved(String method, double sparsity) {
        if (method.startsWith("magnitude")) return sparsity * 2 / 3;
        if (method.startsWith("random") || method.equals("dense")) return sparsity;
        return sparsity - 16.0 * 128 / (3.0 * 512 * 128);
    }

    private static String req(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) throw new IllegalArgumentException("missing argument " + key + "=...");
        return v;
    }
}
