package org.lte4j.model.device;

import org.lte4j.kernels.MatVec;

/**
 * How a weight matrix is stored on the device, i.e. which GEMV and embedding kernels read it.
 * Model files hold more types; {@link DeviceMatrix#of} converts the others losslessly: BF16 to
 * F32 (every bf16 is an fp32), Q4_0 to Q8_0 (same scale, quants widened from 4 to 8 bits).
 */
public enum WeightFormat {
    F32,
    F16,
    Q8_0;

    /** Bytes one row of {@code cols} weights takes. */
    public long rowBytes(int cols) {
        return switch (this) {
            case F32 -> 4L * cols;
            case F16 -> 2L * cols;
            case Q8_0 -> (long) (cols / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        };
    }
}
