package org.lte4j.model.sparse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A heat map of measured sparsity as SVG: one row per layer (layer 0 at the top), one column per
 * recorded token, colour from dark (dense: nothing skipped) to bright (everything skipped), grey
 * where a layer did not run; a colour bar and the overall sparsity in the title. Every cell
 * carries a tooltip with its value.
 */
public final class SparsityPlot {
    /** Colour stops at sparsity 0, 0.25, 0.5, 0.75 and 1. */
    private static final int[] STOPS = {0x0d0887, 0x7e03a8, 0xcc4778, 0xf89540, 0xf0f921};
    static final String MISSING = "#d0d0d0";
    private static final int LEFT = 70, TOP = 50, BOTTOM = 50, BAR_GAP = 20, BAR_WIDTH = 16, RIGHT = 70;

    private SparsityPlot() {
    }

    public static void writeSvg(Path file, SparsityRecorder r) throws IOException {
        Files.writeString(file, svg(r));
    }

    /** The colour of a sparsity in [0, 1], {@code #rrggbb}. */
    public static String colour(double sparsity) {
        if (Double.isNaN(sparsity)) {
            return MISSING;
        }
        double s = Math.clamp(sparsity, 0.0, 1.0) * (STOPS.length - 1);
        int i = Math.min((int) s, STOPS.length - 2);
        double f = s - i;
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int a = (STOPS[i] >> shift) & 0xff, b = (STOPS[i + 1] >> shift) & 0xff;
            rgb |= (int) Math.round(a + (b - a) * f) << shift;
        }
        return String.format("#%06x", rgb);
    }

    public static String svg(SparsityRecorder r) {
        int tokens = r.tokens(), layers = r.layers();
        double cw = Math.clamp(900.0 / Math.max(1, tokens), 1.0, 20.0);
        double ch = Math.clamp(480.0 / layers, 4.0, 24.0);
        double w = Math.max(1, tokens) * cw, h = layers * ch;
        double width = LEFT + w + BAR_GAP + BAR_WIDTH + RIGHT, height = TOP + h + BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
                + " viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>%n", width, height));
        String title = tokens == 0 ? "FFN sparsity: no tokens recorded"
                : String.format(Locale.ROOT, "FFN sparsity (neurons skipped) per layer and token: overall %.1f%%",
                100 * r.overallSparsity());
        text(sb, LEFT, 24, "start", title);
        sb.append("<g class=\"cells\" shape-rendering=\"crispEdges\">\n");
        for (int l = 0; l < layers; l++) {
            for (int t = 0; t < tokens; t++) {
                double s = r.sparsity(t, l);
                sb.append(String.format(Locale.ROOT,
                        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>layer %d, token %d: %s</title></rect>%n",
                        LEFT + t * cw, TOP + l * ch, cw, ch, colour(s), l, t,
                        Double.isNaN(s) ? "not run" : String.format(Locale.ROOT, "%.1f%%", 100 * s)));
            }
        }
        sb.append("</g>\n");
        // axes: layer labels at most every ~16 px, token labels at round steps
        int layerStep = Math.max(1, (int) Math.ceil(16 / ch));
        for (int l = 0; l < layers; l += layerStep) {
            text(sb, LEFT - 6, TOP + (l + 0.5) * ch + 4, "end", Integer.toString(l));
        }
        int tokenStep = niceStep(Math.max(1, tokens) / 10.0);
        for (int t = 0; t < tokens; t += tokenStep) {
            double x = LEFT + (t + 0.5) * cw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>%n",
                    x, TOP + h, x, TOP + h + 4));
            text(sb, x, TOP + h + 16, "middle", Integer.toString(t));
        }
        text(sb, LEFT + w / 2, TOP + h + 36, "middle", "token");
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.2f)\">layer</text>%n",
                TOP + h / 2, TOP + h / 2));
        // colour bar: 0% at the bottom, 100% at the top
        double bx = LEFT + w + BAR_GAP;
        int steps = 50;
        for (int i = 0; i < steps; i++) {
            double s = (i + 0.5) / steps;
            sb.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%d\" height=\"%.2f\" fill=\"%s\"/>%n",
                    bx, TOP + h - (i + 1) * h / steps, BAR_WIDTH, h / steps + 0.5, colour(s)));
        }
        for (int p = 0; p <= 100; p += 50) {
            text(sb, bx + BAR_WIDTH + 4, TOP + h - p / 100.0 * h + 4, "start", p + "%");
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** 1, 2, 5, 10, 20, 50, ... at least {@code raw}. */
    private static int niceStep(double raw) {
        int step = 1;
        while (true) {
            for (int m : new int[]{1, 2, 5}) {
                if (step * m >= raw) {
                    return step * m;
                }
            }
            step *= 10;
        }
    }

    private static void text(StringBuilder sb, double x, double y, String anchor, String s) {
        sb.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">%s</text>%n", x, y, anchor,
                s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")));
    }
}
