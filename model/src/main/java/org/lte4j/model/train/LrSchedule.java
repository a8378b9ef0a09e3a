package org.lte4j.model.train;

/** Linear warm-up to {@code peak} over {@code warmup} steps, then cosine decay to {@code floor}. */
public record LrSchedule(float peak, float floor, long warmup, long total) {
    public LrSchedule {
        if (peak <= 0 || floor < 0 || floor > peak) throw new IllegalArgumentException("need 0 <= floor <= peak, peak > 0");
        if (warmup < 0 || total <= 0) throw new IllegalArgumentException("need warmup >= 0 and total > 0");
    }

    /** Learning rate for 0-based step {@code step}. */
    public float at(long step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        if (total <= warmup) return peak;
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        return (float) (floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress)));
    }
}
