package org.lte4j.model.train;

/**
 * The optimisation loop shared by pretraining and the LTE stages: sample a batch, forward and
 * backward, clip, AdamW step on the schedule; progress lines with loss, tokens/s and ETA; a
 * checkpoint callback every {@code checkpointEvery} steps.
 */
public final class TrainingLoop {

    /** Called to save state after step {@code stepsDone}. */
    @FunctionalInterface
    public interface CheckpointSink {
        void save(long stepsDone);
    }

    private TrainingLoop() {
    }

    /** Runs steps {@code [start, total)}; returns the mean task loss of the last 20 steps. */
    public static double run(TrainableLlama model, TokenBatches batches, AdamW adam, LrSchedule schedule,
                             long start, long total, LteLoss lteLoss, float clipNorm, long checkpointEvery,
                             CheckpointSink sink, ProgressListener progress, String label) {
        return run(model, batches, adam, schedule, start, total, total, lteLoss, clipNorm, checkpointEvery, sink,
                progress, label);
    }

    /**
     * Runs steps {@code [start, end)} of a run of {@code total} steps (the progress line and ETA
     * refer to the whole run).
     */
    public static double run(TrainableLlama model, TokenBatches batches, AdamW adam, LrSchedule schedule,
                             long start, long end, long total, LteLoss lteLoss, float clipNorm, long checkpointEvery,
                             CheckpointSink sink, ProgressListener progress, String label) {
        return run(model, batches, adam, schedule, start, end, total, LteLossSchedule.constant(lteLoss), clipNorm,
                checkpointEvery, sink, progress, label);
    }

    /** As above, with the LTE regulariser weights of each step taken from {@code lteSchedule}. */
    public static double run(TrainableLlama model, TokenBatches batches, AdamW adam, LrSchedule schedule,
                             long start, long end, long total, LteLossSchedule lteSchedule, float clipNorm,
                             long checkpointEvery, CheckpointSink sink, ProgressListener progress, String label) {
        int n = batches.batch() * batches.seq();
        int[] in = new int[n], tg = new int[n];
        long t0 = System.nanoTime();
        double recent = Double.NaN;
        double[] window = new double[20];
        int filled = 0;
        for (long step = start; step < end; step++) {
            batches.fill(step, in, tg);
            model.weights().zeroGrad();
            LteLoss lteLoss = lteSchedule.at(step);
            StepResult r = model.step(in, tg, batches.batch(), batches.seq(), lteLoss, true);
            if (!Double.isFinite(r.totalLoss())) {
                throw new IllegalStateException(label + ": loss became " + r.totalLoss() + " at step " + step
                        + " (lower the learning rate)");
            }
            float lr = schedule.at(step);
            double norm = adam.step(model.parallel(), lr, clipNorm);
            if (model.mode() == FfnMode.SOFT) lteSchedule.observe(r);
            window[(int) (step % window.length)] = r.taskLoss();
            filled = Math.min(filled + 1, window.length);
            double s = 0;
            for (int i = 0; i < filled; i++) s += window[i];
            recent = s / filled;
            long done = step + 1 - start;
            double el = (System.nanoTime() - t0) / 1e9;
            if (done == 1 || step + 1 == end || done % 10 == 0) {
                String lte = model.mode() == FfnMode.SOFT
                        ? String.format("  eff %.3f  sep %.2f  sparsity %.3f  eta %.4g  lambda %.3g", r.effLoss(),
                                r.sepLoss(), r.sparsity(), lteLoss.eta(), lteLoss.lambda())
                        : model.mode() == FfnMode.HARD ? String.format("  sparsity %.3f", r.sparsity()) : "";
                progress.onProgress(String.format("%s step %d/%d  loss %.4f%s  lr %.2e  |g| %.2f  %.0f tok/s  ETA %s",
                        label, step + 1, total, recent, lte, lr, norm, done * (double) n / el,
                        ProgressListener.duration(el / done * (total - step - 1))));
            }
            if (sink != null && checkpointEvery > 0 && (step + 1) % checkpointEvery == 0 && step + 1 < end) {
                sink.save(step + 1);
            }
        }
        return recent;
    }
}
