package org.lte4j.model.lte;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A small line chart of perplexity against FFN sparsity, one series per method, as SVG text. */
public final class SvgPlot {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

    private SvgPlot() {
    }

    public static String perplexityVsSparsity(String title, List<EvalResult> results, double denseReference) {
        Map<String, List<EvalResult>> series = new LinkedHashMap<>();
        for (EvalResult r : results) series.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
        double yMin = denseReference, yMax = denseReference;
        for (EvalResult r : results) {
            yMin = Math.min(yMin, r.perplexity());
            yMax = Math.max(yMax, r.perplexity());
        }
        yMin = Math.floor(yMin * 0.95);
        yMax = Math.ceil(yMax * 1.05);
        int w = 720, h = 440, left = 70, right = 200, top = 40, bottom = 50;
        double pw = w - left - right, ph = h - top - bottom;
        final double y0 = yMin, y1 = yMax;
        java.util.function.DoubleUnaryOperator sx = s -> left + s * pw;
        java.util.function.DoubleUnaryOperator sy = p -> top + ph - (p - y0) / (y1 - y0) * ph;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>\n", left, escape(title)));
        for (int i = 0; i <= 10; i++) {
            double s = i / 10.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", sx.applyAsDouble(s), top, sx.applyAsDouble(s), top + ph));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n", sx.applyAsDouble(s), top + ph + 18, s));
        }
        for (int i = 0; i <= 5; i++) {
            double p = y0 + (y1 - y0) * i / 5;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, sy.applyAsDouble(p), left + pw, sy.applyAsDouble(p)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, sy.applyAsDouble(p) + 4, p));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">FFN sparsity (fraction of neurons skipped)</text>\n", left + pw / 2, h - 10));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">validation perplexity</text>\n", top + ph / 2, top + ph / 2));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"5,4\"/>\n", left, sy.applyAsDouble(denseReference), left + pw, sy.applyAsDouble(denseReference)));
        int legendY = top + 10, c = 0;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%d\">dense</text>\n", left + pw + 15, legendY, left + pw + 40, legendY, left + pw + 46, legendY + 4));
        for (Map.Entry<String, List<EvalResult>> e : series.entrySet()) {
            String color = COLORS[c++ % COLORS.length];
            List<EvalResult> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(a.sparsity(), b.sparsity()));
            StringBuilder path = new StringBuilder();
            for (EvalResult r : pts) {
                path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f,%.1f",
                        sx.applyAsDouble(r.sparsity()), sy.applyAsDouble(r.perplexity())));
            }
            sb.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", path, color));
            for (EvalResult r : pts) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n",
                        sx.applyAsDouble(r.sparsity()), sy.applyAsDouble(r.perplexity()), color));
            }
            legendY += 20;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\">%s</text>\n",
                    left + pw + 15, legendY, left + pw + 40, legendY, color, left + pw + 46, legendY + 4, escape(e.getKey())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
