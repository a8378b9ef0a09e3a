package org.lte4j.model.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.lte4j.model.tensor.FloatVectors;

/**
 * Dense layer kernels for row-major activations {@code X[n][in]} and weights stored as llama.cpp
 * stores them, {@code W[out][in]} (one row per output). Forward is {@code Y = X W^T}; the two
 * backward kernels give {@code dX = dY W} and {@code dW += dY^T X}. The inner loops use the
 * Vector API; parallel splits are by rows of the output, so every element has one writer.
 */
public final class Linear {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Linear() {
    }

    /**
     * {@code y[n][out] = x[n][in] . w[out][in]}. The weight is transposed first so that outputs
     * accumulate lane-wise over the inputs in a fixed order: {@code reduceLanes(ADD)} on floats
     * may add in any order (it differs between interpreted and compiled code), which would make
     * training results depend on JIT timing.
     */
    public static void forward(Parallel par, float[] x, float[] w, float[] y, int n, int in, int out) {
        float[] wt = new float[in * out];
        par.forRange(out, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int i = 0; i < in; i++) wt[i * out + o] = w[o * in + i];
            }
        });
        par.forRange((n + 3) / 4, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int r = b * 4;
                if (r + 4 <= n) forward4(x, wt, y, r, in, out);
                else for (int rr = r; rr < n; rr++) forward1(x, wt, y, rr, in, out);
            }
        });
    }

    private static void forward4(float[] x, float[] wt, float[] y, int r, int in, int out) {
        int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        int bound = S.loopBound(out);
        int o = 0;
        for (; o < bound; o += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < in; i++) {
                FloatVector wv = FloatVector.fromArray(S, wt, i * out + o);
                a0 = wv.fma(FloatVector.broadcast(S, x[x0 + i]), a0);
                a1 = wv.fma(FloatVector.broadcast(S, x[x1 + i]), a1);
                a2 = wv.fma(FloatVector.broadcast(S, x[x2 + i]), a2);
                a3 = wv.fma(FloatVector.broadcast(S, x[x3 + i]), a3);
            }
            a0.intoArray(y, r * out + o);
            a1.intoArray(y, (r + 1) * out + o);
            a2.intoArray(y, (r + 2) * out + o);
            a3.intoArray(y, (r + 3) * out + o);
        }
        for (; o < out; o++) {
            for (int k = 0; k < 4; k++) {
                float s = 0f;
                for (int i = 0; i < in; i++) s = Math.fma(x[(r + k) * in + i], wt[i * out + o], s);
                y[(r + k) * out + o] = s;
            }
        }
    }

    private static void forward1(float[] x, float[] wt, float[] y, int r, int in, int out) {
        for (int o = 0; o < out; o++) {
            float s = 0f;
            for (int i = 0; i < in; i++) s = Math.fma(x[r * in + i], wt[i * out + o], s);
            y[r * out + o] = s;
        }
    }

    /**
     * {@code dx[n][in] (+)= dy[n][out] . w[out][in]}. When {@code accumulate} is false dx is
     * overwritten.
     */
    public static void backwardInput(Parallel par, float[] dy, float[] w, float[] dx, int n, int in, int out,
                                     boolean accumulate) {
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = r * in;
                if (!accumulate) java.util.Arrays.fill(dx, xo, xo + in, 0f);
                int yo = r * out;
                for (int o = 0; o < out; o++) {
                    float g = dy[yo + o];
                    if (g != 0f) FloatVectors.axpy(g, w, o * in, dx, xo, in);
                }
            }
        });
    }

    /** {@code dw[out][in] += sum_n dy[n][out] * x[n][in]}. */
    public static void backwardWeight(Parallel par, float[] dy, float[] x, float[] dw, int n, int in, int out) {
        par.forRange((out + 3) / 4, (b0, b1) -> {
            int bound = S.loopBound(in);
            for (int b = b0; b < b1; b++) {
                int o0 = b * 4;
                if (o0 + 4 > out) {
                    for (int o = o0; o < out; o++) {
                        for (int r = 0; r < n; r++) {
                            float g = dy[r * out + o];
                            if (g != 0f) FloatVectors.axpy(g, x, r * in, dw, o * in, in);
                        }
                    }
                    continue;
                }
                int i = 0;
                for (; i < bound; i += L) {
                    FloatVector a0 = FloatVector.fromArray(S, dw, o0 * in + i);
                    FloatVector a1 = FloatVector.fromArray(S, dw, (o0 + 1) * in + i);
                    FloatVector a2 = FloatVector.fromArray(S, dw, (o0 + 2) * in + i);
                    FloatVector a3 = FloatVector.fromArray(S, dw, (o0 + 3) * in + i);
                    for (int r = 0; r < n; r++) {
                        FloatVector xv = FloatVector.fromArray(S, x, r * in + i);
                        int d = r * out + o0;
                        a0 = xv.fma(FloatVector.broadcast(S, dy[d]), a0);
                        a1 = xv.fma(FloatVector.broadcast(S, dy[d + 1]), a1);
                        a2 = xv.fma(FloatVector.broadcast(S, dy[d + 2]), a2);
                        a3 = xv.fma(FloatVector.broadcast(S, dy[d + 3]), a3);
                    }
                    a0.intoArray(dw, o0 * in + i);
                    a1.intoArray(dw, (o0 + 1) * in + i);
                    a2.intoArray(dw, (o0 + 2) * in + i);
                    a3.intoArray(dw, (o0 + 3) * in + i);
                }
                for (; i < in; i++) {
                    for (int k = 0; k < 4; k++) {
                        float s = 0f;
                        for (int r = 0; r < n; r++) s += dy[r * out + o0 + k] * x[r * in + i];
                        dw[(o0 + k) * in + i] += s;
                    }
                }
            }
        });
    }
}
