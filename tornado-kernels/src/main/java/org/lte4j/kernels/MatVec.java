package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * Matrix-vector products {@code y = W x} with {@code W} row-major ({@code rows x cols}), one
 * work-group per row: the group's work-items stride over the columns (neighbouring items read
 * neighbouring weights, so loads coalesce), then add their partial sums as a tree in local
 * memory. A grid with fewer groups than rows loops (group g does rows g, g + groups, ...).
 * The variants differ only in how a weight is stored.
 *
 * <p>Grid for all: 1-D, {@code WorkerGrid.of(rows * L, L)} with L a power of two at most
 * {@link GroupLimits#MAX_LOCAL_SIZE} (fewer groups also work). Weight offsets are computed in
 * 64 bits, so a matrix may exceed 2^31 elements.
 */
public final class MatVec {
    /** GGML Q8_0: blocks of 32 weights, an fp16 scale then 32 int8 quants. */
    public static final int Q8_0_BLOCK = 32;
    public static final int Q8_0_BLOCK_BYTES = 34;

    private MatVec() {
    }

    /**
     * {@code y[r] = sum_c w[r * cols + c] * x[c]} with fp32 weights.
     * Traffic: reads 4 * rows * cols bytes of weights plus x once per row (from cache), writes 4 * rows.
     */
    public static void gemvF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += w.get(base + c) * x.get(c);
            }
            scratch[lid] = sum;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                y.set(row, scratch[0]);
            }
            ctx.localBarrier(); // scratch[0] is read before the next row overwrites scratch
        }
    }

    /**
     * {@code y[r] = sum_c w[r * cols + c] * x[c]} with fp16 weights (fp32 activations and sums).
     * Traffic: reads 2 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvF16(KernelContext ctx, HalfArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += w.get(base + c) * x.get(c);
            }
            scratch[lid] = sum;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                y.set(row, scratch[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * {@code y[r] = sum_c d * q * x[c]} with GGML Q8_0 weights: row r is {@code cols / 32}
     * consecutive 34-byte blocks (little-endian fp16 scale d, then 32 int8 quants q), rows
     * back to back. {@code cols} must be a multiple of 32. Work-items stride over columns, so
     * 32 neighbouring items read one block's quants together and share its scale.
     * Traffic: reads 34/32 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvQ8_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        long rowBytes = (long) (cols / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long rowStart = row * rowBytes;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                long block = rowStart + (long) (c / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
                float d = w.getHalf(block);
                sum += d * w.get(block + 2 + c % Q8_0_BLOCK) * x.get(c);
            }
            scratch[lid] = sum;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                y.set(row, scratch[0]);
            }
            ctx.localBarrier();
        }
    }
}
