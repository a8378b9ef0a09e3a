package org.lte4j.model.sparse;

import java.util.Locale;

/** Measured sparsity as text: overall, then per layer the mean, least and most over tokens. */
public final class SparsityReport {
    private SparsityReport() {
    }

    public static String format(SparsityRecorder r) {
        StringBuilder sb = new StringBuilder();
        if (r.tokens() == 0) {
            return "FFN sparsity: no tokens recorded\n";
        }
        sb.append(String.format(Locale.ROOT, "FFN sparsity (fraction of FFN neurons skipped) over %d tokens: overall %.1f%%%n",
                r.tokens(), 100 * r.overallSparsity()));
        sb.append(String.format(Locale.ROOT, "%5s %8s %8s %8s%n", "layer", "mean", "min", "max"));
        for (int l = 0; l < r.layers(); l++) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < r.tokens(); t++) {
                if (r.has(t, l)) {
                    min = Math.min(min, r.sparsity(t, l));
                    max = Math.max(max, r.sparsity(t, l));
                }
            }
            if (min > max) {
                sb.append(String.format(Locale.ROOT, "%5d %8s %8s %8s%n", l, "-", "-", "-"));
            } else {
                sb.append(String.format(Locale.ROOT, "%5d %7.1f%% %7.1f%% %7.1f%%%n", l, 100 * r.layerSparsity(l),
                        100 * min, 100 * max));
            }
        }
        return sb.toString();
    }
}
