package org.lte4j.runtime.compiler;

/**
 * Built-in operations a kernel can call. Math functions take the precision of their arguments
 * (float or double); the emitter picks the C spelling per dialect.
 */
enum Fn {
    SQRT, CBRT, EXP, EXPM1, LOG, LOG10, LOG1P, POW, SIN, COS, TAN, ASIN, ACOS, ATAN, ATAN2, SINH, COSH, TANH,
    HYPOT, FLOOR, CEIL, RINT, FABS, FMA,
    /** Math.min/max on float/double, with Java's NaN propagation. */
    FMIN, FMAX,
    SIGNUM,
    /** Math.abs/min/max on int or long. */
    IABS, IMIN, IMAX,
    /** Math.round: float -> int, double -> long, Java semantics. */
    ROUND,
    FLOAT_TO_RAW_BITS, FLOAT_TO_BITS, INT_BITS_TO_FLOAT, DOUBLE_TO_RAW_BITS, DOUBLE_TO_BITS, LONG_BITS_TO_DOUBLE,
    /** Float.floatToFloat16 (result: the short as an int) and Float.float16ToFloat. */
    FLOAT_TO_HALF, HALF_TO_FLOAT,
    IS_NAN, IS_INFINITE, BIT_COUNT, LEADING_ZEROS, TRAILING_ZEROS,
    /** PackedBytes.dot: the dot of two ints' four signed bytes. */
    PACKED_BYTE_DOT,
    /** ByteArray.getHalf(array, byteOffset): little-endian fp16 at any byte offset. */
    BYTE_GET_HALF,
    /** HalfArray.getRaw(array, index): the fp16 bits as a (sign-extended) short. */
    HALF_GET_RAW,
    /** KernelContext.localBarrier/globalBarrier. */
    BARRIER(true),
    /** KernelContext.awaitPrecedingKernel: the dependent-launch wait, where the kernel places it. */
    AWAIT_PRECEDING(true),
    /** KernelContext.globalMemoryFence: this work-item's global writes ordered before its later accesses, device-wide. */
    GLOBAL_FENCE(true),
    /** KernelContext.prefetchToCache(array, index, count): a cache hint for a range of a global array; no result. */
    PREFETCH(true),
    /** KernelContext.atomicAdd(array, index, delta) on a global or local array; returns the old value. */
    ATOMIC_ADD(true);

    final boolean sideEffect;

    Fn() {
        this(false);
    }

    Fn(boolean sideEffect) {
        this.sideEffect = sideEffect;
    }

    boolean isMath() {
        return ordinal() <= FMA.ordinal();
    }
}
