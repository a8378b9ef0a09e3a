package org.lte4j.model.lte;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Chart of perplexity (log scale) against FFN sparsity, one line per method and a dashed dense
 * reference, drawn as SVG text or as a PNG (Java2D) from the same geometry.
 */
public final class SvgPlot {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
            "#e377c2", "#17becf"};
    private static final double[] NICE = {1, 1.5, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300,
            500, 1000, 2000, 5000};
    private static final int W = 1080, H = 480, LEFT = 70, RIGHT = 470, TOP = 40, BOTTOM = 50;

    private final String title;
    private final Map<String, List<EvalResult>> series = new LinkedHashMap<>();
    private final double dense, logMin, logMax;

    private SvgPlot(String title, List<EvalResult> results, double dense) {
        this.title = title;
        this.dense = dense;
        double lo = dense, hi = dense;
        for (EvalResult r : results) {
            series.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
            lo = Math.min(lo, r.perplexity());
            hi = Math.max(hi, r.perplexity());
        }
        for (List<EvalResult> s : series.values()) s.sort((a, b) -> Double.compare(a.sparsity(), b.sparsity()));
        logMin = Math.log(lo * 0.95);
        logMax = Math.log(hi * 1.05);
    }

    public static String perplexityVsSparsity(String title, List<EvalResult> results, double denseReference) {
        return new SvgPlot(title, results, denseReference).svg();
    }

    public static void writePng(Path file, String title, List<EvalResult> results, double denseReference)
            throws IOException {
        new SvgPlot(title, results, denseReference).png(file);
    }

    private double x(double sparsity) {
        return LEFT + sparsity * (W - LEFT - RIGHT);
    }

    private double y(double ppl) {
        double ph = H - TOP - BOTTOM;
        return TOP + ph - (Math.log(ppl) - logMin) / (logMax - logMin) * ph;
    }

    private List<Double> yTicks() {
        List<Double> t = new ArrayList<>();
        for (double v : NICE) if (Math.log(v) >= logMin && Math.log(v) <= logMax) t.add(v);
        return t;
    }

    private String svg() {
        StringBuilder sb = new StringBuilder();
        sb.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H));
        sb.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H));
        sb.append(f("<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>\n", LEFT, esc(title)));
        double right = W - RIGHT, bottom = H - BOTTOM;
        for (int i = 0; i <= 10; i++) {
            double xs = x(i / 10.0);
            sb.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", xs, TOP, xs, bottom));
            sb.append(f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n", xs, bottom + 18, i / 10.0));
        }
        for (double v : yTicks()) {
            sb.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y(v), right, y(v)));
            sb.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y(v) + 4, num(v)));
        }
        sb.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">FFN sparsity (fraction of neurons skipped)</text>\n", (LEFT + right) / 2, H - 10));
        sb.append(f("<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">validation perplexity (log scale)</text>\n", (TOP + bottom) / 2, (TOP + bottom) / 2));
        sb.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"5,4\"/>\n", LEFT, y(dense), right, y(dense)));
        int ly = TOP + 10;
        sb.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%d\">dense (%.3f)</text>\n", right + 15, ly, right + 40, ly, right + 46, ly + 4, dense));
        int c = 0;
        for (Map.Entry<String, List<EvalResult>> e : series.entrySet()) {
            String color = COLORS[c++ % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (EvalResult r : e.getValue()) path.append(path.isEmpty() ? "M" : " L").append(f("%.1f,%.1f", x(r.sparsity()), y(r.perplexity())));
            sb.append(f("<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", path, color));
            for (EvalResult r : e.getValue()) sb.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x(r.sparsity()), y(r.perplexity()), color));
            ly += 20;
            sb.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\">%s</text>\n", right + 15, ly, right + 40, ly, color, right + 46, ly + 4, esc(e.getKey())));
        }
        return sb.append("</svg>\n").toString();
    }

    private void png(Path file) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double right = W - RIGHT, bottom = H - BOTTOM;
        g.setColor(new Color(0xdd, 0xdd, 0xdd));
        for (int i = 0; i <= 10; i++) g.drawLine((int) x(i / 10.0), TOP, (int) x(i / 10.0), (int) bottom);
        for (double v : yTicks()) g.drawLine(LEFT, (int) y(v), (int) right, (int) y(v));
        g.setColor(Color.BLACK);
        for (int i = 0; i <= 10; i++) centered(g, f("%.1f", i / 10.0), x(i / 10.0), bottom + 18);
        for (double v : yTicks()) g.drawString(num(v), LEFT - 8 - g.getFontMetrics().stringWidth(num(v)), (int) y(v) + 4);
        centered(g, "FFN sparsity (fraction of neurons skipped)", (LEFT + right) / 2, H - 10);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2, 16, (TOP + bottom) / 2);
        centered(g, "validation perplexity (log scale)", 16, (TOP + bottom) / 2);
        g.setTransform(saved);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        g.drawString(title, LEFT, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        BasicStroke dashed = new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{5, 4}, 0);
        g.setStroke(dashed);
        g.drawLine(LEFT, (int) y(dense), (int) right, (int) y(dense));
        int ly = TOP + 10;
        g.drawLine((int) right + 15, ly, (int) right + 40, ly);
        g.drawString(f("dense (%.3f)", dense), (int) right + 46, ly + 4);
        g.setStroke(new BasicStroke(2f));
        int c = 0;
        for (Map.Entry<String, List<EvalResult>> e : series.entrySet()) {
            g.setColor(Color.decode(COLORS[c++ % COLORS.length]));
            Path2D.Double p = new Path2D.Double();
            boolean first = true;
            for (EvalResult r : e.getValue()) {
                if (first) p.moveTo(x(r.sparsity()), y(r.perplexity()));
                else p.lineTo(x(r.sparsity()), y(r.perplexity()));
                first = false;
                g.fillOval((int) x(r.sparsity()) - 4, (int) y(r.perplexity()) - 4, 8, 8);
            }
            g.draw(p);
            ly += 20;
            g.drawLine((int) right + 15, ly, (int) right + 40, ly);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), (int) right + 46, ly + 4);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void centered(Graphics2D g, String s, double cx, double baseline) {
        g.drawString(s, (int) (cx - g.getFontMetrics().stringWidth(s) / 2.0), (int) baseline);
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String f(String fmt, Object... args) {
        return String.format(Locale.ROOT, fmt, args);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
