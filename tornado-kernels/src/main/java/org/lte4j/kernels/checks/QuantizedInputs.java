package org.lte4j.kernels.checks;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
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

    /**
     * {@code x} (length a multiple of 32) quantized on the host as GGML's {@code quantize_row_q8_0}
     * does, but for the scale kept in fp32: per block {@code d = max|x| / 127}, {@code q =
     * round(x / d)} (0 where d is 0), four quants per word, element 4j in the low byte of word j.
     */
    public static void quantizeQ8_0(FloatArray x, IntArray quants, FloatArray scales) {
        for (int b = 0; b < x.getSize() / 32; b++) {
            float max = 0f;
            for (int i = 32 * b; i < 32 * b + 32; i++) {
                max = Math.max(max, Math.abs(x.get(i)));
            }
            float d = max / 127f;
            float inverse = d == 0f ? 0f : 1f / d;
            for (int w = 8 * b; w < 8 * b + 8; w++) {
                int word = 0;
                for (int k = 0; k < 4; k++) {
                    word |= (Math.round(x.get(4 * w + k) * inverse) & 0xff) << (8 * k);
                }
                quants.set(w, word);
            }
            scales.set(b, d);
        }
    }
}
