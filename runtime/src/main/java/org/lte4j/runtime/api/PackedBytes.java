package org.lte4j.runtime.api;

/**
 * Arithmetic on four signed bytes packed in an int (byte 0 in the low bits), as int8-quantized
 * kernels hold them. Kernels call these like any static method; the compiler maps them to one
 * instruction where the device has it (CUDA: {@code __dp4a}; OpenCL with
 * {@code cl_khr_integer_dot_product}: {@code dot_4x8packed_ss_int}) and to plain C elsewhere, and
 * on the JVM they run as written here, so the device's result can be checked against this code.
 */
public final class PackedBytes {
    private PackedBytes() {
    }

    /** {@code a0*b0 + a1*b1 + a2*b2 + a3*b3} over the signed bytes of {@code a} and {@code b}; exact (at most 4 * 128^2 in size). */
    public static int dot(int a, int b) {
        return (byte) a * (byte) b + (byte) (a >> 8) * (byte) (b >> 8) + (byte) (a >> 16) * (byte) (b >> 16)
                + (byte) (a >> 24) * (byte) (b >> 24);
    }
}
