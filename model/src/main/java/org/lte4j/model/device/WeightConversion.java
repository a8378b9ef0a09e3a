package org.lte4j.model.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.lte4j.model.tensor.Q4_0Tensor;
import org.lte4j.model.tensor.Q8_0Tensor;
import org.lte4j.model.tensor.Tensor;

/**
 * Lossless conversions of the storage types the device kernels do not read. Both keep every
 * weight's value bit for bit, so a device run computes on exactly the weights the JVM model does.
 */
final class WeightConversion {
    private WeightConversion() {
    }

    /**
     * GGML Q4_0 (scale d, 32 nibbles q, value d * (q - 8)) as Q8_0 with the same scale and the
     * int8 quants q - 8: the values are identical, at 34 instead of 18 bytes per block.
     */
    static MemorySegment q4_0ToQ8_0(Tensor t, Arena arena) {
        MemorySegment in = t.segment();
        long blocks = t.elementCount() / Q4_0Tensor.BLOCK;
        MemorySegment out = arena.allocate(blocks * Q8_0Tensor.BLOCK_BYTES, 64);
        for (long b = 0; b < blocks; b++) {
            long src = b * Q4_0Tensor.BLOCK_BYTES;
            long dst = b * Q8_0Tensor.BLOCK_BYTES;
            MemorySegment.copy(in, src, out, dst, 2); // the fp16 scale, unchanged
            for (int j = 0; j < 16; j++) {
                int packed = in.get(ValueLayout.JAVA_BYTE, src + 2 + j) & 0xff;
                out.set(ValueLayout.JAVA_BYTE, dst + 2 + j, (byte) ((packed & 0x0f) - 8));
                out.set(ValueLayout.JAVA_BYTE, dst + 2 + 16 + j, (byte) ((packed >>> 4) - 8));
            }
        }
        return out;
    }

    /** Any tensor (here BF16) widened to fp32, row by row so no single heap array holds it all. */
    static MemorySegment toF32(Tensor t, Arena arena) {
        int cols = t.cols();
        MemorySegment out = arena.allocate(t.elementCount() * 4, 64);
        float[] row = new float[cols];
        for (int r = 0; r < t.rows(); r++) {
            t.rowTo(r, row, 0);
            MemorySegment.copy(row, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * cols * 4, cols);
        }
        return out;
    }
}
