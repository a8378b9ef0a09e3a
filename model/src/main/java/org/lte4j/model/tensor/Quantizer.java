package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Encodes floats into GGML storage types, following GGML's reference quantisers
 * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}).
 */
public final class Quantizer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantizer() {
    }

    /**
     * Writes {@code values[from .. from+count)} as {@code type} into {@code out} at byte
     * {@code outOffset}; {@code count} must be a multiple of the type's block size.
     */
    public static void encode(GgmlType type, float[] values, int from, int count, MemorySegment out, long outOffset) {
        switch (type) {
            case F32 -> MemorySegment.copy(values, from, out, F32, outOffset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out.set(I16, outOffset + 2L * i, Float.floatToFloat16(values[from + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out.set(I16, outOffset + 2L * i, Fp16.floatToBf16(values[from + i]));
                }
            }
            case Q8_0 -> {
                check(type, count);
                for (int b = 0; b < count / 32; b++) {
                    q8_0Block(values, from + b * 32, out, outOffset + b * 34L);
                }
            }
            case Q4_0 -> {
                check(type, count);
                for (int b = 0; b < count / 32; b++) {
                    q4_0Block(values, from + b * 32, out, outOffset + b * 18L);
                }
            }
            default -> throw new IllegalArgumentException("cannot encode type " + type);
        }
    }

    private static void check(GgmlType type, int count) {
        if (count % type.blockSize != 0) {
            throw new IllegalArgumentException(count + " values is not a whole number of " + type + " blocks");
        }
    }

    /** d = max|x| / 127, q = round(x / d) (round half away from zero, as C's roundf). */
    private static void q8_0Block(float[] x, int from, MemorySegment out, long o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        out.set(I16, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) roundf(x[from + j] * id));
        }
    }

    /** d = (the x with the largest magnitude) / -8, q = min(15, (int)(x / d + 8.5)). */
    private static void q4_0Block(float[] x, int from, MemorySegment out, long o) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        out.set(I16, o, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (x[from + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (x[from + 16 + j] * id + 8.5f));
            out.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    private static float roundf(float v) {
        return v < 0 ? -Math.round(-v) : Math.round(v); // Math.round is exact round-half-up for v >= 0
    }
}
