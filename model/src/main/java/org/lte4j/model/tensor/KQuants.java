package org.lte4j.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dequantisation of GGML's k-quant formats that lte4j reads but does not compute with
 * (Q4_K, Q6_K): restated from GGML's {@code dequantize_row_q4_K} and {@code dequantize_row_q6_K}.
 * The GGUF reader converts such tensors to Q8_0 at load.
 */
public final class KQuants {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KQuants() {
    }

    public static float[] dequantize(GgmlType type, MemorySegment data, int elements) {
        float[] out = new float[elements];
        int blocks = elements / 256;
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * type.blockBytes;
            switch (type) {
                case Q4_K -> q4k(data, o, out, b * 256);
                case Q6_K -> q6k(data, o, out, b * 256);
                default -> throw new IllegalArgumentException("not a k-quant handled here: " + type);
            }
        }
        return out;
    }

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xff;
    }

    /** Block: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles. */
    private static void q4k(MemorySegment s, long o, float[] y, int yo) {
        float d = Float.float16ToFloat(s.get(I16, o));
        float min = Float.float16ToFloat(s.get(I16, o + 2));
        long scales = o + 4;
        long q = o + 16;
        int is = 0;
        for (int j = 0; j < 256; j += 64) {
            int sc0 = scale(s, scales, is), m0 = min(s, scales, is);
            int sc1 = scale(s, scales, is + 1), m1 = min(s, scales, is + 1);
            float d1 = d * sc0, mm1 = min * m0, d2 = d * sc1, mm2 = min * m1;
            for (int l = 0; l < 32; l++) {
                y[yo + j + l] = d1 * (u8(s, q + l) & 0xf) - mm1;
            }
            for (int l = 0; l < 32; l++) {
                y[yo + j + 32 + l] = d2 * (u8(s, q + l) >> 4) - mm2;
            }
            q += 32;
            is += 2;
        }
    }

    /** GGML's get_scale_min_k4: the scale half. */
    private static int scale(MemorySegment s, long q, int j) {
        return j < 4 ? u8(s, q + j) & 63 : (u8(s, q + j + 4) & 0xf) | ((u8(s, q + j - 4) >> 6) << 4);
    }

    /** GGML's get_scale_min_k4: the min half. */
    private static int min(MemorySegment s, long q, int j) {
        return j < 4 ? u8(s, q + j + 4) & 63 : (u8(s, q + j + 4) >> 4) | ((u8(s, q + j) >> 6) << 4);
    }

    /** Block: 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, fp16 d. */
    private static void q6k(MemorySegment s, long o, float[] y, int yo) {
        long ql = o, qh = o + 128, sc = o + 192;
        float d = Float.float16ToFloat(s.get(I16, o + 208));
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xf) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xf) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[yo + n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[yo + n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[yo + n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[yo + n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
