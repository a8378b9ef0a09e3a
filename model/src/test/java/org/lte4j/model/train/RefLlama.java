package org.lte4j.model.train;

import java.util.HashMap;
import java.util.Map;

/**
 * A plain float64 scalar re-implementation of the training forward pass, written independently
 * of the optimised kernels, used as the reference for finite-difference gradient checks.
 */
final class RefLlama {
    final LlamaConfig c;
    final Map<String, double[]> p = new HashMap<>();
    final LteSpec lte;

    RefLlama(LlamaWeights w) {
        this.c = w.config();
        this.lte = w.lte();
        for (Parameter q : w.all()) {
            double[] d = new double[q.data().length];
            for (int i = 0; i < d.length; i++) d[i] = q.data()[i];
            p.put(q.name(), d);
        }
    }

    static double[] rmsnorm(double[] x, double[] w, double eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * inv * w[i];
        return y;
    }

    /** y[o] = sum_i W[o][i] x[i] with W [out][in]. */
    static double[] matvec(double[] W, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += W[o * in + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    static void rope(double[] v, int heads, int hd, int pos, double base) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                double th = pos * Math.pow(base, -2.0 * i / hd);
                double a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1];
                v[h * hd + 2 * i] = a * Math.cos(th) - b * Math.sin(th);
                v[h * hd + 2 * i + 1] = a * Math.sin(th) + b * Math.cos(th);
            }
        }
    }

    /** 1/d^2, continued along its tangent at d = 0.05 for smaller d. */
    static double separation(double d) {
        double b = 0.05;
        return d >= b ? 1 / (d * d) : 1 / (b * b) - 2 / (b * b * b) * (d - b);
    }

    static double silu(double g) {
        return g / (1 + Math.exp(-g));
    }

    /** FFN inputs of the last call, per layer and row. */
    double[][][] lastF;
    /** When set, L_eff and L_sep use these router inputs instead of the live ones. */
    double[][][] fixedF;

    /** Returns {task, eff, sep, total}. mode: DENSE, SOFT or HARD. */
    double[] loss(int[] inputs, int[] targets, int batch, int seq, FfnMode mode, LteLoss lteLoss) {
        lastF = new double[c.layers()][batch * seq][];
        int d = c.dim(), hd = c.headDim(), H = c.heads(), KV = c.kvHeads(), F = c.ffnDim();
        int E = mode == FfnMode.DENSE ? 0 : lte.experts(F);
        double task = 0, eff = 0, sep = 0;
        int tokens = 0;
        for (int b = 0; b < batch; b++) {
            double[][] x = new double[seq][];
            for (int t = 0; t < seq; t++) {
                x[t] = new double[d];
                System.arraycopy(p.get("token_embd.weight"), inputs[b * seq + t] * d, x[t], 0, d);
            }
            for (int l = 0; l < c.layers(); l++) {
                String pre = "blk." + l + ".";
                double[][] q = new double[seq][], k = new double[seq][], v = new double[seq][];
                for (int t = 0; t < seq; t++) {
                    double[] a = rmsnorm(x[t], p.get(pre + "attn_norm.weight"), c.normEps());
                    q[t] = matvec(p.get(pre + "attn_q.weight"), a, d);
                    k[t] = matvec(p.get(pre + "attn_k.weight"), a, KV * hd);
                    v[t] = matvec(p.get(pre + "attn_v.weight"), a, KV * hd);
                    rope(q[t], H, hd, t, c.ropeTheta());
                    rope(k[t], KV, hd, t, c.ropeTheta());
                }
                double[][] x2 = new double[seq][];
                for (int t = 0; t < seq; t++) {
                    double[] att = new double[d];
                    for (int h = 0; h < H; h++) {
                        int kh = h / (H / KV);
                        double[] s = new double[t + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u <= t; u++) {
                            double dot = 0;
                            for (int i = 0; i < hd; i++) dot += q[t][h * hd + i] * k[u][kh * hd + i];
                            s[u] = dot / Math.sqrt(hd);
                            max = Math.max(max, s[u]);
                        }
                        double sum = 0;
                        for (int u = 0; u <= t; u++) sum += (s[u] = Math.exp(s[u] - max));
                        for (int u = 0; u <= t; u++) {
                            for (int i = 0; i < hd; i++) att[h * hd + i] += s[u] / sum * v[u][kh * hd + i];
                        }
                    }
                    double[] o = matvec(p.get(pre + "attn_output.weight"), att, d);
                    x2[t] = new double[d];
                    for (int i = 0; i < d; i++) x2[t][i] = x[t][i] + o[i];
                }
                for (int t = 0; t < seq; t++) {
                    double[] f = rmsnorm(x2[t], p.get(pre + "ffn_norm.weight"), c.normEps());
                    double[] g = matvec(p.get(pre + "ffn_gate.weight"), f, F);
                    double[] u = matvec(p.get(pre + "ffn_up.weight"), f, F);
                    double[] h = new double[F];
                    for (int j = 0; j < F; j++) h[j] = silu(g[j]) * u[j];
                    if (E > 0) {
                        double[] r = matvec(p.get(LlamaWeights.routerName(l)), f, E);
                        lastF[l][b * seq + t] = f;
                        // the regularisers see the router input as a constant (fixedF when set)
                        double[] fr = fixedF == null ? f : fixedF[l][b * seq + t];
                        double[] rr = matvec(p.get(LlamaWeights.routerName(l)), fr, E);
                        for (int e = 0; e < E; e++) {
                            double G = 1 / (1 + Math.exp(-r[e]));
                            double Gr = 1 / (1 + Math.exp(-rr[e]));
                            eff += Gr * Gr;
                            sep += separation(Math.abs(Gr - lteLoss.tau()));
                            double s = mode == FfnMode.SOFT ? G : (G > lte.threshold() ? 1 : 0);
                            for (int j = e * lte.expertSize(); j < (e + 1) * lte.expertSize(); j++) h[j] *= s;
                        }
                    }
                    double[] y = matvec(p.get(pre + "ffn_down.weight"), h, d);
                    for (int i = 0; i < d; i++) x2[t][i] += y[i];
                }
                x = x2;
            }
            double[] wout = p.get(c.tiedEmbeddings() ? "token_embd.weight" : "output.weight");
            for (int t = 0; t < seq; t++) {
                int target = targets[b * seq + t];
                if (target < 0) continue;
                double[] xf = rmsnorm(x[t], p.get("output_norm.weight"), c.normEps());
                double[] logits = matvec(wout, xf, c.vocabSize());
                double max = Double.NEGATIVE_INFINITY;
                for (double z : logits) max = Math.max(max, z);
                double sum = 0;
                for (double z : logits) sum += Math.exp(z - max);
                task += Math.log(sum) + max - logits[target];
                tokens++;
            }
        }
        task /= tokens;
        double count = (double) c.layers() * E * batch * seq;
        if (E > 0) {
            eff /= count;
            sep /= count;
        }
        double total = task + (mode == FfnMode.SOFT ? lteLoss.eta() * eff + lteLoss.lambda() * sep : 0);
        return new double[]{task, eff, sep, total};
    }
}
