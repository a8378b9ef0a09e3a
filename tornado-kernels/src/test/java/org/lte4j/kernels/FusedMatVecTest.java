package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * The fused decoder-layer kernels (fp16 and Q8_0 weights) on the JVM against the unfused steps
 * written out in double: RMSNorm, the projection, bias, RoPE, the cache store; SiLU(gate) * up.
 */
class FusedMatVecTest {
    private static final float EPS = 1e-5f;

    /** The normed input {@code x / rms(x) * g}, in double. */
    private static double[] normed(FloatArray x, FloatArray g, int dim) {
        double squares = 0;
        for (int c = 0; c < dim; c++) {
            squares += (double) x.get(c) * x.get(c);
        }
        double scale = 1 / Math.sqrt(squares / dim + EPS);
        double[] out = new double[dim];
        for (int c = 0; c < dim; c++) {
            out[c] = x.get(c) * scale * g.get(c);
        }
        return out;
    }

    /** A random {@code rows x dim} matrix in a kernel's storage, with its elements decoded. */
    private record Matrix(IntArray words, HalfArray scales, Element at) {
        interface Element {
            double at(int row, int col);
        }

        /** fp16 packed two per word, or Q8_0 split into quant words and scales ({@code scales} null for fp16). */
        static Matrix random(RandomArrays r, String format, int rows, int dim) {
            if (format.equals("F16")) {
                HalfArray h = r.halves(rows * dim);
                return new Matrix(IntArray.wrap(h.segment()), null, (i, c) -> h.get((long) i * dim + c));
            }
            ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, dim);
            Q8_0Split split = Q8_0Split.of(blocks, rows, dim, Arena.ofAuto());
            return new Matrix(split.quants(), split.scales(), (i, c) -> JvmRun.q8_0(blocks, i, c, dim));
        }
    }

    /** Row r of {@code W xn} and its sum of |terms| (for the rounding allowance). */
    private static double[] dot(Matrix w, int r, double[] xn) {
        double sum = 0;
        double abs = 0;
        for (int c = 0; c < xn.length; c++) {
            double term = w.at().at(r, c) * xn[c];
            sum += term;
            abs += Math.abs(term);
        }
        return new double[] {sum, abs};
    }

    @ParameterizedTest(name = "{0} dim={1} heads={2} kvHeads={3} headDim={4} local={5}")
    @CsvSource({"F16, 8, 1, 1, 4, 32", "F16, 264, 4, 2, 8, 64", "F16, 512, 4, 4, 16, 128", "F16, 130, 2, 1, 12, 32",
            "Q8_0, 32, 1, 1, 4, 32", "Q8_0, 288, 4, 2, 8, 16", "Q8_0, 1056, 4, 2, 12, 64"})
    void qkvMatchTheUnfusedSteps(String format, int dim, int heads, int kvHeads, int headDim, int local) {
        RandomArrays r = new RandomArrays(dim * 31L + heads);
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int context = 4;
        int pos = 2;
        FloatArray x = r.floats(dim);
        FloatArray g = r.floats(dim);
        Matrix hq = Matrix.random(r, format, qDim, dim);
        Matrix hk = Matrix.random(r, format, kvDim, dim);
        Matrix hv = Matrix.random(r, format, kvDim, dim);
        FloatArray bq = r.floats(qDim);
        FloatArray bk = r.floats(kvDim);
        FloatArray bv = r.floats(kvDim);
        IntArray position = new IntArray(1);
        position.set(0, pos);
        FloatArray frequencies = r.floats(headDim / 2);
        FloatArray q = new FloatArray(qDim);
        FloatArray keys = r.floats(context * kvDim);
        FloatArray values = r.floats(context * kvDim);
        double[] keysBefore = JvmRun.toDoubles(keys);
        double[] valuesBefore = JvmRun.toDoubles(values);
        IntArray wq = hq.words();
        IntArray wk = hk.words();
        IntArray wv = hv.words();
        HalfArray sq = hq.scales();
        HalfArray sk = hk.scales();
        HalfArray sv = hv.scales();
        KernelContext ctx = new KernelContext();
        Task qkv = format.equals("F16")
                ? Task.of("qkv", () -> FusedMatVec.normedQkvRopeIntoCacheF16(ctx, x, g, wq, wk, wv,
                        bq, bk, bv, position, frequencies, q, keys, values, dim, qDim, kvDim, headDim, EPS))
                : Task.of("qkv", () -> FusedMatVec.normedQkvRopeIntoCacheQ8_0(ctx, x, g, wq, sq, wk, sk, wv, sv,
                        bq, bk, bv, position, frequencies, q, keys, values, dim, qDim, kvDim, headDim, EPS));
        JvmRun.execute(qkv.withGrid(WorkerGrid.of((qDim + 2 * kvDim) / 4 * local, local)));

        double[] xn = normed(x, g, dim);
        JvmRun.assertClose(rotated(hq, bq, xn, frequencies, pos, qDim, headDim, false), q, tolerances(hq, xn, qDim), "q");
        double[] expectedKeys = keysBefore.clone();
        double[] expectedValues = valuesBefore.clone();
        double[] k = rotated(hk, bk, xn, frequencies, pos, kvDim, headDim, false);
        double[] v = rotated(hv, bv, xn, frequencies, pos, kvDim, headDim, true);
        double[] keyTolerance = new double[context * kvDim];
        double[] valueTolerance = new double[context * kvDim];
        double[] rowTolerance = tolerances(hk, xn, kvDim);
        double[] valueRowTolerance = tolerances(hv, xn, kvDim);
        for (int i = 0; i < kvDim; i++) {
            expectedKeys[pos * kvDim + i] = k[i];
            expectedValues[pos * kvDim + i] = v[i];
            keyTolerance[pos * kvDim + i] = rowTolerance[i];
            valueTolerance[pos * kvDim + i] = valueRowTolerance[i];
        }
        JvmRun.assertClose(expectedKeys, keys, keyTolerance, "key cache");
        JvmRun.assertClose(expectedValues, values, valueTolerance, "value cache");
    }

    /** {@code W xn + b}, each head's interleaved pairs rotated by {@code pos * f[i]} unless {@code plain}. */
    private static double[] rotated(Matrix w, FloatArray b, double[] xn, FloatArray f, int pos, int rows, int headDim, boolean plain) {
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = dot(w, i, xn)[0] + b.get(i);
        }
        if (plain) {
            return y;
        }
        double[] out = new double[rows];
        for (int i = 0; i < rows; i += 2) {
            float angle = pos * f.get((i % headDim) / 2);
            double c = (float) Math.cos(angle);
            double s = (float) Math.sin(angle);
            out[i] = y[i] * c - y[i + 1] * s;
            out[i + 1] = y[i] * s + y[i + 1] * c;
        }
        return out;
    }

    /** Rounding allowance per row: a rotated value mixes two rows, each an fp32 sum with a bias. */
    private static double[] tolerances(Matrix w, double[] xn, int rows) {
        double[] t = new double[rows];
        for (int i = 0; i < rows; i += 2) {
            double pair = 2 * JvmRun.sumTolerance(dot(w, i, xn)[1] + dot(w, i + 1, xn)[1] + 2);
            t[i] = pair;
            t[i + 1] = pair;
        }
        return t;
    }

    @ParameterizedTest(name = "{0} dim={1} hidden={2} local={3}")
    @CsvSource({"F16, 2, 1, 32", "F16, 264, 37, 64", "F16, 1024, 64, 256", "Q8_0, 32, 1, 32", "Q8_0, 1056, 37, 64", "Q8_0, 4096, 8, 256"})
    void gateUpMatchTheUnfusedSteps(String format, int dim, int hidden, int local) {
        RandomArrays r = new RandomArrays(dim * 17L + hidden);
        FloatArray x = r.floats(dim);
        FloatArray g = r.floats(dim);
        Matrix hGate = Matrix.random(r, format, hidden, dim);
        Matrix hUp = Matrix.random(r, format, hidden, dim);
        FloatArray out = new FloatArray(hidden);
        IntArray gate = hGate.words();
        IntArray up = hUp.words();
        HalfArray gateScales = hGate.scales();
        HalfArray upScales = hUp.scales();
        KernelContext ctx = new KernelContext();
        Task gateUp = format.equals("F16")
                ? Task.of("gateUp", () -> FusedMatVec.normedGateUpSiluF16(ctx, x, g, gate, up, out, dim, hidden, EPS))
                : Task.of("gateUp", () -> FusedMatVec.normedGateUpSiluQ8_0(ctx, x, g, gate, gateScales, up, upScales, out, dim, hidden, EPS));
        JvmRun.execute(gateUp.withGrid(WorkerGrid.of((hidden + 1) / 2 * local, local)));

        double[] xn = normed(x, g, dim);
        double[] expected = new double[hidden];
        double[] tolerance = new double[hidden];
        for (int h = 0; h < hidden; h++) {
            double[] a = dot(hGate, h, xn);
            double[] u = dot(hUp, h, xn);
            double silu = a[0] / (1 + Math.exp(-a[0]));
            expected[h] = silu * u[0];
            // |d silu / dz| <= 1.1, plus fp32 rounding of the product
            tolerance[h] = 1.1 * Math.abs(u[0]) * JvmRun.sumTolerance(a[1]) + Math.abs(silu) * JvmRun.sumTolerance(u[1])
                    + 1e-6 * Math.abs(expected[h]);
        }
        JvmRun.assertClose(expected, out, tolerance, "silu(gate) * up");
        assertEquals(hidden, out.getSize());
    }
}
