package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Tensor#matMul} against one {@link Tensor#matVec} per input vector, and against a scalar
 * double-precision product of the dequantised weights, for every computable storage type.
 */
class MatMulTest {
    @ParameterizedTest
    @CsvSource({
            "F32, 37, 64, 1", "F32, 37, 64, 3", "F32, 300, 256, 17",
            "F16, 37, 64, 5", "F16, 300, 256, 16",
            "BF16, 37, 64, 5", "BF16, 300, 256, 16",
            "Q8_0, 37, 64, 5", "Q8_0, 300, 256, 16",
            "Q4_0, 37, 64, 5", "Q4_0, 300, 256, 16"})
    void batchProductEqualsOneMatVecPerInput(GgmlType type, int rows, int cols, int count) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols + count);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        float[] xs = new float[count * cols];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) random.nextGaussian();
        }
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.fromFloats("w", type, new long[] {rows, cols}, w, arena);
            float[] deq = t.toFloats();
            float[] outs = new float[count * rows];
            t.matMul(xs, count, outs);
            float[] one = new float[rows];
            for (int k = 0; k < count; k++) {
                t.matVec(xs, k * cols, one, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double exact = 0, magnitude = 0;
                    for (int i = 0; i < cols; i++) {
                        exact += (double) deq[r * cols + i] * xs[k * cols + i];
                        magnitude += Math.abs((double) deq[r * cols + i] * xs[k * cols + i]);
                    }
                    String where = type + " input " + k + " row " + r;
                    // same float operations as matVec: equal up to the last bits at most
                    assertEquals(one[r], outs[k * rows + r], 1e-6 * magnitude, where);
                    assertEquals(exact, outs[k * rows + r], 1e-5 * magnitude, where + " vs double product");
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F32", "Q8_0"})
    void inputsThatDoNotFitAreRejected(GgmlType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.fromFloats("blk.0.attn_q.weight", type, new long[] {4, 32}, new float[128], arena);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.matMul(new float[2 * 32], 3, new float[3 * 4]));
            assertTrue(e.getMessage().contains("blk.0.attn_q.weight"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.matMul(new float[3 * 32], 3, new float[2 * 4]));
        }
    }
}
