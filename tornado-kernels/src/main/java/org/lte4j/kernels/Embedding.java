package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.Parallel;

/**
 * Token embedding lookup: copies row {@code token[0]} of a {@code vocab x dim} table into an
 * fp32 vector. The token id is read on the device, so a captured decode step can take the
 * previous step's argmax without the host. The variants differ in how the table is stored.
 *
 * <p>Grid for all: any 1-D (the loop covers {@code dim}). Traffic: one row of the table read,
 * 4 * dim bytes written.
 */
public final class Embedding {
    private Embedding() {
    }

    /** {@code out[i] = table[token * dim + i]} from an fp32 table. */
    public static void copyRowF32(FloatArray table, IntArray token, FloatArray out, int dim) {
        long base = (long) token.get(0) * dim;
        for (@Parallel int i = 0; i < dim; i++) {
            out.set(i, table.get(base + i));
        }
    }

    /** {@code out[i] = table[token * dim + i]} from an fp16 table. */
    public static void copyRowF16(HalfArray table, IntArray token, FloatArray out, int dim) {
        long base = (long) token.get(0) * dim;
        for (@Parallel int i = 0; i < dim; i++) {
            out.set(i, table.get(base + i));
        }
    }

    /**
     * Dequantises row {@code token} of a GGML Q8_0 table ({@code dim / 32} blocks of 34 bytes
     * per row, {@code dim} a multiple of 32): {@code out[i] = d * q}.
     */
    public static void copyRowQ8_0(ByteArray table, IntArray token, FloatArray out, int dim) {
        long rowStart = (long) token.get(0) * (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (@Parallel int i = 0; i < dim; i++) {
            long block = rowStart + (long) (i / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
            out.set(i, table.getHalf(block) * table.get(block + 2 + i % MatVec.Q8_0_BLOCK));
        }
    }
}
