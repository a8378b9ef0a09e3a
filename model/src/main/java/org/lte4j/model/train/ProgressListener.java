package org.lte4j.model.train;

import java.io.PrintStream;

/** Receives progress lines of long-running training, calibration and evaluation. */
@FunctionalInterface
public interface ProgressListener {
    void onProgress(String line);

    ProgressListener SILENT = line -> {
    };

    static ProgressListener printingTo(PrintStream out) {
        return line -> {
            out.println(line);
            out.flush();
        };
    }

    /** "1h02m", "3m07s", "12s". */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
