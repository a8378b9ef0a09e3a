package org.lte4j.model.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each op's fp32 backward against central finite differences of a float64 reference of the same
 * op, on the scalar loss {@code sum(out * R)} with a random R.
 */
class OpGradientCheckTest {
    private final SplittableRandom rnd = new SplittableRandom(11);

    private float[] random(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Finite differences of {@code sum(f(x) * r)} with respect to x, compared with {@code analytic}. */
    private static void checkGradient(String what, float[] x, float[] r, float[] analytic,
                                      Function<double[], double[]> f) {
        double[] xd = toDouble(x);
        double h = 1e-6, maxErr = 0, maxAbs = 0;
        for (int i = 0; i < x.length; i++) {
            double orig = xd[i];
            xd[i] = orig + h;
            double up = dot(f.apply(xd), r);
            xd[i] = orig - h;
            double down = dot(f.apply(xd), r);
            xd[i] = orig;
            double fd = (up - down) / (2 * h);
            maxErr = Math.max(maxErr, Math.abs(fd - analytic[i]));
            maxAbs = Math.max(maxAbs, Math.abs(fd));
        }
        assertTrue(maxAbs > 0, what + ": gradient is identically zero");
        assertTrue(maxErr <= 1e-3 * maxAbs, what + ": max error " + maxErr + " vs max |grad| " + maxAbs);
    }

    private static double dot(double[] a, float[] r) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * r[i];
        return s;
    }

    @Test
    void linear() {
        int n = 5, in = 19, out = 21; // not multiples of the vector length: tails are exercised
        float[] x = random(n * in, 1), w = random(out * in, 1), r = random(n * out, 1);
        float[] dx = new float[n * in], dw = new float[out * in];
        try (Parallel par = new Parallel(2)) {
            Linear.backwardInput(par, r, w, dx, n, in, out, false);
            Linear.backwardWeight(par, r, x, dw, n, in, out);
            float[] y = new float[n * out];
            Linear.forward(par, x, w, y, n, in, out);
            double[] ref = refLinear(toDouble(x), toDouble(w), n, in, out);
            for (int i = 0; i < y.length; i++) assertTrue(Math.abs(y[i] - ref[i]) < 1e-4, "forward " + i);
        }
        checkGradient("linear dx", x, r, dx, xd -> refLinear(xd, toDouble(w), n, in, out));
        checkGradient("linear dw", w, r, dw, wd -> refLinear(toDouble(x), wd, n, in, out));
    }

    private static double[] refLinear(double[] x, double[] w, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    @Test
    void rmsNorm() {
        int n = 3, dim = 20;
        float[] x = random(n * dim, 2), w = random(dim, 1), r = random(n * dim, 1);
        float[] y = new float[n * dim], inv = new float[n], dx = new float[n * dim], dw = new float[dim];
        try (Parallel par = new Parallel(2)) {
            RmsNorm.forward(par, x, w, y, inv, n, dim, 1e-5f);
            RmsNorm.backward(par, x, w, inv, r, dx, dw, n, dim);
        }
        checkGradient("rmsnorm dx", x, r, dx, xd -> refRms(xd, toDouble(w), n, dim));
        checkGradient("rmsnorm dw", w, r, dw, wd -> refRms(toDouble(x), wd, n, dim));
    }

    private static double[] refRms(double[] x, double[] w, int n, int dim) {
        double[] y = new double[n * dim];
        for (int r = 0; r < n; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[r * dim + i] * x[r * dim + i];
            double inv = 1 / Math.sqrt(ss / dim + 1e-5);
            for (int i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * w[i];
        }
        return y;
    }

    @Test
    void ropeBackwardIsTheInverseRotation() {
        int n = 6, seq = 3, heads = 2, hd = 8;
        float[] x = random(n * heads * hd, 1), r = random(n * heads * hd, 1);
        float[] dx = r.clone();
        Rope rope = new Rope(hd, 16, 10000f);
        try (Parallel par = new Parallel(1)) {
            rope.apply(par, dx, n, seq, heads, true);
        }
        checkGradient("rope", x, r, dx, xd -> {
            double[] y = xd.clone();
            for (int row = 0; row < n; row++) {
                double[] v = new double[heads * hd];
                System.arraycopy(y, row * heads * hd, v, 0, v.length);
                RefLlama.rope(v, heads, hd, row % seq, 10000);
                System.arraycopy(v, 0, y, row * heads * hd, v.length);
            }
            return y;
        });
    }

    @Test
    void causalGroupedAttention() {
        int batch = 2, seq = 4, heads = 4, kvHeads = 2, hd = 6;
        int qw = heads * hd, kw = kvHeads * hd, n = batch * seq;
        float[] q = random(n * qw, 1), k = random(n * kw, 1), v = random(n * kw, 1), r = random(n * qw, 1);
        float[] out = new float[n * qw], probs = new float[batch * heads * seq * seq];
        float[] dq = new float[n * qw], dk = new float[n * kw], dv = new float[n * kw];
        try (Parallel par = new Parallel(2)) {
            CausalAttention.forward(par, q, k, v, out, probs, batch, seq, heads, kvHeads, hd);
            CausalAttention.backward(par, q, k, v, probs, r, dq, dk, dv, batch, seq, heads, kvHeads, hd);
        }
        double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v);
        checkGradient("attention dq", q, r, dq, x -> refAttention(x, kd, vd, batch, seq, heads, kvHeads, hd));
        checkGradient("attention dk", k, r, dk, x -> refAttention(qd, x, vd, batch, seq, heads, kvHeads, hd));
        checkGradient("attention dv", v, r, dv, x -> refAttention(qd, kd, x, batch, seq, heads, kvHeads, hd));
    }

    private static double[] refAttention(double[] q, double[] k, double[] v, int batch, int seq, int heads,
                                         int kvHeads, int hd) {
        int qw = heads * hd, kw = kvHeads * hd;
        double[] out = new double[batch * seq * qw];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kh = h / (heads / kvHeads);
                for (int t = 0; t < seq; t++) {
                    double[] s = new double[t + 1];
                    double sum = 0;
                    for (int u = 0; u <= t; u++) {
                        double d = 0;
                        for (int i = 0; i < hd; i++) d += q[(b * seq + t) * qw + h * hd + i] * k[(b * seq + u) * kw + kh * hd + i];
                        s[u] = Math.exp(d / Math.sqrt(hd));
                        sum += s[u];
                    }
                    for (int u = 0; u <= t; u++) {
                        for (int i = 0; i < hd; i++) out[(b * seq + t) * qw + h * hd + i] += s[u] / sum * v[(b * seq + u) * kw + kh * hd + i];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void swiGlu() {
        int count = 40;
        float[] g = random(count, 4), u = random(count, 2), r = random(count, 1);
        float[] dg = new float[count], du = new float[count];
        try (Parallel par = new Parallel(2)) {
            SwiGlu.backward(par, g, u, r, dg, du, count);
        }
        checkGradient("swiglu dg", g, r, dg, gd -> {
            double[] y = new double[count];
            for (int i = 0; i < count; i++) y[i] = RefLlama.silu(gd[i]) * u[i];
            return y;
        });
        checkGradient("swiglu du", u, r, du, ud -> {
            double[] y = new double[count];
            for (int i = 0; i < count; i++) y[i] = RefLlama.silu(g[i]) * ud[i];
            return y;
        });
    }

    @Test
    void crossEntropy() {
        int n = 4, vocab = 9;
        float[] logits = random(n * vocab, 3);
        int[] targets = {3, -1, 0, 8};
        float[] grad = logits.clone();
        try (Parallel par = new Parallel(2)) {
            CrossEntropy.backwardInPlace(par, grad, targets, n, vocab, 1f / 3);
        }
        float[] one = {1f};
        checkGradient("cross-entropy", logits, one, grad, x -> {
            double total = 0;
            for (int r = 0; r < n; r++) {
                if (targets[r] < 0) continue;
                double sum = 0;
                for (int i = 0; i < vocab; i++) sum += Math.exp(x[r * vocab + i]);
                total += Math.log(sum) - x[r * vocab + targets[r]];
            }
            return new double[]{total / 3};
        });
    }
}
