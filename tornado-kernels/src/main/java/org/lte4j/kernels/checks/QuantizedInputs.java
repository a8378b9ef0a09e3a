package org.lte4j.kernels.checks;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.selftest.RandomArrays;

/** Random inputs in packed formats, for checks and tests. */
public final class QuantizedInputs {
    private QuantizedInputs() {
    }

    /**
     * {@code rows x cols} weights as GGML Q8_0 blocks (cols a multiple of 32): every quant uniform
     * in [-127, 127] and every block scale uniform in [-1/64, 1/64) (finite fp16), so weights
     * lie in about [-2, 2] like the other random inputs.
     */
    public static ByteArray randomQ8_0(RandomArrays random, int rows, int cols) {
        if (cols % 32 != 0) {
            throw new IllegalArgumentException("Q8_0 rows need a multiple of 32 columns, got " + cols);
        }
        long blocks = (long) rows * (cols / 32);
        ByteArray a = new ByteArray(blocks * 34);
        for (long b = 0; b < blocks; b++) {
            short scale = Float.floatToFloat16(random.nextFloat() / 64);
            a.set(b * 34, (byte) scale);
            a.set(b * 34 + 1, (byte) (scale >> 8));
            for (int q = 0; q < 32; q++) {
                a.set(b * 34 + 2 + q, (byte) (random.nextInt(255) - 127));
            }
        }
        return a;
    }
}
