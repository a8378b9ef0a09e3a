package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
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
 * {@link QuantizedInputMatVec} on the JVM against GGML's q8_0 formulas written out here as plain
 * scalar code (none of the kernel's helpers): block quantization, RMSNorm, the q8_0 x q8_0 dot,
 * and the float-input GEMV it approximates.
 */
class QuantizedInputMatVecTest {
    private static final float EPS = 1e-5f;

    /**
     * An input quantized by the scalar reference ({@link QuantizedInputs#quantizeQ8_0}: GGML's
     * quantize_row_q8_0 with an fp32 scale, written without the kernel's helpers).
     */
    private record Q8(IntArray words, FloatArray scales) {
        static Q8 of(FloatArray x) {
            Q8 q = new Q8(new IntArray(x.getSize() / 4), new FloatArray(x.getSize() / 32));
            QuantizedInputs.quantizeQ8_0(x, q.words(), q.scales());
            return q;
        }

        int quant(int c) {
            return (byte) (words.get(c / 4) >> (8 * (c % 4)));
        }
    }

    /** Random values, then an all-zero block (d = 0 must not give NaN) and a block with one nonzero. */
    private static FloatArray inputWithEdgeBlocks(RandomArrays r) {
        FloatArray x = new FloatArray(256 + 64);
        FloatArray random = r.floats(256);
        for (int i = 0; i < 256; i++) {
            x.set(i, random.get(i));
        }
        x.set(256 + 32 + 5, -0.37f);
        return x;
    }

    @ParameterizedTest(name = "local={0}")
    @ValueSource(ints = {8, 64})
    void quantizeMatchesGgmlBlockByBlock(int local) {
        FloatArray x = inputWithEdgeBlocks(new RandomArrays(7));
        int n = (int) x.getSize();
        IntArray quants = new IntArray(n / 4);
        FloatArray scales = new FloatArray(n / 32);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("q", () -> QuantizedInputMatVec.quantize(ctx, x, quants, scales, n))
                .withGrid(WorkerGrid.covering(n / 4, local, 1024))); // 80 words: with 64 the last group's last items idle
        Q8 ref = Q8.of(x);
        for (int j = 0; j < n / 4; j++) {
            assertEquals(ref.words().get(j), quants.get(j), "word " + j);
        }
        for (int b = 0; b < n / 32; b++) {
            assertEquals(ref.scales().get(b), scales.get(b), 0f, "scale " + b);
        }
        // the edge blocks: zero scale and quants; one quant of -127 at the nonzero element
        assertEquals(0f, scales.get(8), 0f);
        assertEquals(0.37f / 127f, scales.get(9), 0f);
        for (int j = 64; j < 80; j++) {
            assertEquals(j == 73 ? 0x81 << 8 : 0, quants.get(j), "edge-block word " + j); // -127 is 0x81, element 293 = 4 * 73 + 1
        }
        // rounding to nearest: each dequantized value is within half a step of its input
        for (int c = 0; c < n; c++) {
            float d = scales.get(c / 32);
            double err = Math.abs((double) ref.quant(c) * d - x.get(c));
            assertTrue(err <= d / 2 * (1 + 1e-5) + 1e-7, "element " + c + " off by " + err + ", step " + d);
        }
    }

    @ParameterizedTest(name = "n={0} local={1}")
    @CsvSource({"1280, 64", "4096, 64", "256, 8"})
    void normedQuantizeIsRmsNormThenQuantize(int n, int local) {
        RandomArrays r = new RandomArrays(n + local);
        FloatArray x = r.floats(n);
        FloatArray weight = r.floats(n);
        IntArray quants = new IntArray(n / 4);
        FloatArray scales = new FloatArray(n / 32);
        KernelContext ctx = new KernelContext();
        JvmRun.execute(Task.of("nq", () -> QuantizedInputMatVec.normedQuantize(ctx, x, weight, quants, scales, n, EPS))
                .withGrid(WorkerGrid.of(local, local)));
        double squares = 0;
        for (int c = 0; c < n; c++) {
            squares += (double) x.get(c) * x.get(c);
        }
        double inv = 1 / Math.sqrt(squares / n + EPS);
        for (int b = 0; b < n / 32; b++) {
            double max = 0;
            for (int c = 32 * b; c < 32 * b + 32; c++) {
                max = Math.max(max, Math.abs(x.get(c) * inv * weight.get(c)));
            }
            float d = scales.get(b);
            assertEquals(max / 127, d, 1e-5 * max / 127, "scale " + b);
            for (int c = 32 * b; c < 32 * b + 32; c++) {
                int q = (byte) (quants.get(c / 4) >> (8 * (c % 4)));
                double err = Math.abs((double) q * d - x.get(c) * inv * weight.get(c));
                assertTrue(err <= d / 2 * 1.01 + 1e-6, "element " + c + " off by " + err + ", step " + d);
            }
        }
    }

    /** Row r of the q8_0 x q8_0 dot in double from the GGML bytes, and its sum of |element products|. */
    private static double[] q8Dot(ByteArray w, Q8 x, int r, int cols) {
        double sum = 0;
        double abs = 0;
        for (int b = 0; b < cols / 32; b++) {
            long at = ((long) r * (cols / 32) + b) * 34;
            double scale = (double) Float.float16ToFloat((short) ((w.get(at) & 0xff) | (w.get(at + 1) & 0xff) << 8)) * x.scales().get(b);
            long dot = 0;
            for (int i = 0; i < 32; i++) {
                int product = w.get(at + 2 + i) * x.quant(32 * b + i);
                dot += product;
                abs += Math.abs(scale * product);
            }
            sum += scale * dot;
        }
        return new double[] {sum, abs};
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2}")
    @CsvSource({"37, 1280, 64", "37, 1280, 4", "4, 32, 4"})
    void gemvsMatchTheScalarQ8Dot(int rows, int cols, int local) {
        RandomArrays r = new RandomArrays(rows * 1000L + cols + local);
        ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols);
        Q8_0Split w = Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
        Q8 xq = Q8.of(r.floats(cols));
        IntArray xQuants = xq.words();
        FloatArray xScales = xq.scales();
        FloatArray y = new FloatArray(rows);
        FloatArray acc = r.floats(rows);
        double[] before = JvmRun.toDoubles(acc);
        IntArray quants = w.quants();
        HalfArray scales = w.scales();
        KernelContext ctx = new KernelContext();
        WorkerGrid grid = WorkerGrid.of((rows + 3) / 4 * local, local); // rows = 37: the last group has one row
        JvmRun.execute(Task.of("gemv", () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, quants, scales, xQuants, xScales, y, false, rows,
                cols)).withGrid(grid));
        JvmRun.execute(Task.of("gemv+", () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, quants, scales, xQuants, xScales, acc, true,
                rows, cols)).withGrid(grid));
        double[] expected = new double[rows];
        double[] expectedAcc = new double[rows];
        double[] tolerance = new double[rows];
        for (int i = 0; i < rows; i++) {
            double[] dot = q8Dot(blocks, xq, i, cols);
            expected[i] = dot[0];
            expectedAcc[i] = before[i] + dot[0];
            tolerance[i] = 1e-5 * Math.max(1, dot[1]);
        }
        JvmRun.assertClose(expected, y, tolerance, "y");
        JvmRun.assertClose(expectedAcc, acc, tolerance, "acc");
    }

    @ParameterizedTest(name = "rows={0} cols={1} local={2}")
    @CsvSource({"37, 1280, 64", "8, 4096, 256"})
    void agreesWithTheFloatInputKernelUpToInputRounding(int rows, int cols, int local) {
        RandomArrays r = new RandomArrays(rows * 7L + cols);
        ByteArray blocks = QuantizedInputs.randomQ8_0(r, rows, cols);
        Q8_0Split w = Q8_0Split.of(blocks, rows, cols, Arena.ofAuto());
        FloatArray x = r.floats(cols);
        Q8 xq = Q8.of(x);
        IntArray xQuants = xq.words();
        FloatArray xScales = xq.scales();
        FloatArray yFloat = new FloatArray(rows);
        FloatArray yInt = new FloatArray(rows);
        IntArray quants = w.quants();
        HalfArray scales = w.scales();
        KernelContext ctx = new KernelContext();
        WorkerGrid grid = WorkerGrid.of((rows + 3) / 4 * local, local);
        JvmRun.execute(Task.of("f", () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, x, yFloat, rows, cols)).withGrid(grid));
        JvmRun.execute(Task.of("q", () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, quants, scales, xQuants, xScales, yInt, false, rows,
                cols))
                .withGrid(grid));
        for (int i = 0; i < rows; i++) {
            // each input moves by at most half its block's step, so row i moves by at most sum |w| d / 2
            double bound = 0;
            double abs = 0;
            for (int c = 0; c < cols; c++) {
                double wc = Math.abs(JvmRun.q8_0(blocks, i, c, cols));
                bound += wc * xScales.get(c / 32) / 2;
                abs += wc * Math.abs(x.get(c));
            }
            double diff = Math.abs(yFloat.get(i) - yInt.get(i));
            assertTrue(diff <= bound + 1e-5 * Math.max(1, abs), "row " + i + ": " + diff + " > " + bound);
        }
    }
}
