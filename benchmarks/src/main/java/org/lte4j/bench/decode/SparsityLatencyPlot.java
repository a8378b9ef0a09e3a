package org.lte4j.bench.decode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Decode latency against measured FFN sparsity as SVG: the sparse runs (ms per token and the FFN
 * block alone), the dense model as horizontal lines, and for each the ideal line where time falls
 * with the bytes read (dense time times bytes read over dense bytes).
 */
public final class SparsityLatencyPlot {
    private static final double W = 640, H = 420, LEFT = 70, RIGHT = 170, TOP = 40, BOTTOM = 50;

    private SparsityLatencyPlot() {
    }

    public static void writeSvg(Path file, SparseDecodeBenchmark.Report report) throws IOException {
        Files.writeString(file, svg(report));
    }

    public static String svg(SparseDecodeBenchmark.Report report) {
        List<SparseDecodeBenchmark.Row> rows = report.rows();
        SparseDecodeBenchmark.Row dense = rows.getFirst();
        List<SparseDecodeBenchmark.Row> sparse = rows.subList(1, rows.size());
        double yMax = 0;
        for (SparseDecodeBenchmark.Row r : rows) {
            yMax = Math.max(yMax, Math.max(r.msPerToken(), Double.isFinite(r.ffnBlockMs()) ? r.ffnBlockMs() : 0));
        }
        yMax = niceCeil(yMax * 1.1);
        double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", W, H, W, H));
        text(sb, LEFT, 22, "start", "Decode latency vs FFN sparsity: " + report.model() + " on " + shorten(report.device())
                + (report.cachedPositions() == 0 ? "" : ", after " + report.cachedPositions() + " cached positions"));
        // axes and grid
        for (int i = 0; i <= 5; i++) {
            double v = yMax * i / 5, y = TOP + ph - ph * i / 5;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + pw, y));
            text(sb, LEFT - 6, y + 4, "end", String.format(Locale.ROOT, "%.3g", v));
        }
        for (int i = 0; i <= 10; i++) {
            double x = LEFT + pw * i / 10;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>%n", x, TOP + ph, x, TOP + ph + 4));
            text(sb, x, TOP + ph + 18, "middle", (i * 10) + "%");
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>%n", LEFT, TOP, pw, ph));
        text(sb, LEFT + pw / 2, H - 12, "middle", "measured FFN sparsity (neurons skipped)");
        sb.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">ms per token</text>%n",
                TOP + ph / 2, TOP + ph / 2));
        // series: decode and FFN block, each with its dense level and bytes-ideal
        series(sb, sparse, dense, true, "#1f77b4", yMax, pw, ph, 0);
        if (Double.isFinite(dense.ffnBlockMs())) {
            series(sb, sparse, dense, false, "#d62728", yMax, pw, ph, 1);
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void series(StringBuilder sb, List<SparseDecodeBenchmark.Row> sparse, SparseDecodeBenchmark.Row dense, boolean decode,
                               String colour, double yMax, double pw, double ph, int legend) {
        double denseMs = decode ? dense.msPerToken() : dense.ffnBlockMs();
        double yDense = TOP + ph - ph * denseMs / yMax;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 4\"/>%n",
                LEFT, yDense, LEFT + pw, yDense, colour));
        StringBuilder measured = new StringBuilder();
        StringBuilder ideal = new StringBuilder();
        for (SparseDecodeBenchmark.Row r : sparse) {
            double x = LEFT + pw * r.measuredSparsity();
            double ms = decode ? r.msPerToken() : r.ffnBlockMs();
            // ideal: time proportional to bytes read; for the FFN block, to the FFN share that still runs
            double idealMs = decode ? denseMs * r.bytesPerToken() / dense.bytesPerToken() : denseMs * (1 - r.measuredSparsity());
            measured.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, TOP + ph - ph * ms / yMax));
            ideal.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, TOP + ph - ph * idealMs / yMax));
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: %.3f ms (%.2fx dense)</title></circle>%n",
                    x, TOP + ph - ph * ms / yMax, colour, r.path(), ms, ms / denseMs));
        }
        sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", measured.toString().trim(), colour));
        sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>%n",
                ideal.toString().trim(), colour));
        double ly = TOP + 10 + legend * 58;
        double lx = LEFT + pw + 12;
        String what = decode ? "token step" : "FFN blocks alone";
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>%n", lx, ly, lx + 20, ly, colour));
        text(sb, lx + 26, ly + 4, "start", what + ", sparse");
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 4\"/>%n", lx, ly + 16, lx + 20, ly + 16, colour));
        text(sb, lx + 26, ly + 20, "start", "dense");
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"2 3\"/>%n", lx, ly + 32, lx + 20, ly + 32, colour));
        text(sb, lx + 26, ly + 36, "start", "ideal (by bytes)");
    }

    private static double niceCeil(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static void text(StringBuilder sb, double x, double y, String anchor, String s) {
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n", x, y, anchor,
                s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")));
    }
}
