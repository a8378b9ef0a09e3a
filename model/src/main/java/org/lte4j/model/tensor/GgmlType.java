package org.lte4j.model.tensor;

/**
 * GGML tensor storage types with their GGUF ids. Elements are stored in blocks of
 * {@link #blockSize} elements taking {@link #blockBytes} bytes. Types this project cannot compute
 * with are listed too, so that an error can name them.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, false),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    /** Read only: converted to Q8_0 when a GGUF file is loaded. */
    Q4_K(12, 256, 144, false),
    Q5_K(13, 256, 176, false),
    /** Read only: converted to Q8_0 when a GGUF file is loaded. */
    Q6_K(14, 256, 210, false),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true);

    /** The id in GGUF tensor infos. */
    public final int id;
    public final int blockSize;
    public final int blockBytes;
    /** Whether {@link Tensor} can hold and compute with this type directly. */
    public final boolean computable;

    GgmlType(int id, int blockSize, int blockBytes, boolean computable) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.computable = computable;
    }

    /** The type with GGUF id {@code id}, or null when the id is unknown. */
    public static GgmlType byId(long id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** Bytes taken by {@code elements} elements; the count must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a whole number of " + this
                    + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }
}
