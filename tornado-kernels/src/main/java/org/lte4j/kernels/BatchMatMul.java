package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * Matrix products for a batch of tokens, {@code Y[b][r] = sum_c W[r][c] * X[b][c]} with
 * {@code W} row-major ({@code rows x cols}, stored as the GEMVs of {@link MatVec} read it) and
 * {@code X}, {@code Y} token-major ({@code x[b * cols + c]}, {@code y[b * rows + r]}). Prompt
 * prefill runs these instead of one GEMV per token: each weight word is loaded once and serves
 * every token of the batch, so a batch of B tokens reads the weights once instead of B times.
 *
 * <p>One work-group per row (fewer groups loop over rows): items stride over the columns as in
 * the GEMVs, each item keeps {@code batch} partial sums in private memory, and the group adds
 * the partials of all tokens at once as one tree over {@code batch x L} local slots. Every token
 * of the batch is computed; a partial last batch leaves its unused token rows holding whatever
 * they held (finite), which nothing downstream reads.
 *
 * <p>{@code batch} must be in 1..{@link #MAX_BATCH}; specialise it (Task.specialising) so a GPU
 * compiler unrolls the per-token loops and keeps the partial sums in registers.
 * Grid for all: 1-D, {@code WorkerGrid.of(rows * L, L)}, L a power of two at most
 * {@link #MAX_LOCAL_SIZE}. Traffic: the weights once, X once per row (from cache), Y written once.
 */
public final class BatchMatMul {
    /** Largest batch: the partial sums of one item live in a private array of this size. */
    public static final int MAX_BATCH = 32;
    /** Largest work-group: the reduction needs {@code MAX_BATCH * L} floats (32 KiB) of local memory. */
    public static final int MAX_LOCAL_SIZE = 256;

    private BatchMatMul() {
    }

    /** Whether a work-group of {@code local} items fits the batch reduction (a power of two up to {@link #MAX_LOCAL_SIZE}). */
    public static boolean isValidLocalSize(int local) {
        return local >= 1 && local <= MAX_LOCAL_SIZE && Integer.bitCount(local) == 1;
    }

    /**
     * {@link #matMulF32} with one work-item per row and no barriers or local memory, for CPU
     * OpenCL: the row's dot with each token of the batch in turn ({@link MatVec#rowDotF32}, the
     * decode GEMV's row loop), so the row comes from memory once and from cache for the other
     * tokens. On PoCL the work-group form spent 616 ms on one three-token batch of llama-110m
     * (docs/PERF.md): its barriers split the group's item loop and its per-item partial arrays
     * do not vectorise. Grid: any 1-D (the loop covers {@code rows}).
     */
    public static void matMulF32RowPerItem(FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotF32(w, base, x, (long) b * cols, cols));
            }
        }
    }

    /** {@link #matMulF32RowPerItem} for fp16 weights packed two per word ({@link MatVec#rowDotF16Pairs}). */
    public static void matMulF16PairsRowPerItem(IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * (cols / 2);
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotF16Pairs(w, base, x, (long) b * cols, cols));
            }
        }
    }

    /** {@link #matMulF32RowPerItem} for GGML's interleaved Q8_0 blocks, as the CPU decode reads them ({@link MatVec#rowDotQ8_0}). */
    public static void matMulQ8_0RowPerItem(ByteArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        long rowBytes = (long) (cols / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (@Parallel int r = 0; r < rows; r++) {
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotQ8_0(w, r * rowBytes, x, (long) b * cols, cols));
            }
        }
    }

    /** fp32 weights. */
    public static void matMulF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float[] acc = new float[MAX_BATCH];
            for (int c = lid; c < cols; c += size) {
                float wc = w.get(base + c);
                for (int b = 0; b < batch; b++) {
                    acc[b] += wc * x.get((long) b * cols + c);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier(); // the sums are read before the next row overwrites scratch
        }
    }

    /**
     * fp16 weights read as 32-bit words of two halves (element 2j in the low half), the layout
     * {@link MatVec#gemvF16PairsFourRows} reads; {@code cols} must be even.
     */
    public static void matMulF16Pairs(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 2;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * words;
            float[] acc = new float[MAX_BATCH];
            for (int j = lid; j < words; j += size) {
                int word = w.get(base + j);
                float w0 = Float.float16ToFloat((short) word);
                float w1 = Float.float16ToFloat((short) (word >>> 16));
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 2 * j;
                    acc[b] += w0 * x.get(at) + w1 * x.get(at + 1);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * GGML Q8_0 weights split as {@link MatVec#gemvQ8_0SplitWordsFourRows} reads them: row r's
     * int8 quants as {@code cols / 4} words and its {@code cols / 32} fp16 block scales;
     * {@code cols} a multiple of 32. Each quant word is dequantised once for all tokens.
     */
    public static void matMulQ8_0SplitWords(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                            int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 4;
        int blocks = cols / MatVec.Q8_0_BLOCK;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            float[] acc = new float[MAX_BATCH];
            for (int j = lid; j < words; j += size) {
                int q = quants.get((long) row * words + j);
                float d = scales.get((long) row * blocks + j / 8);
                float w0 = d * (byte) q;
                float w1 = d * (byte) (q >> 8);
                float w2 = d * (byte) (q >> 16);
                float w3 = d * (byte) (q >> 24);
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 4 * j;
                    acc[b] += w0 * x.get(at) + w1 * x.get(at + 1) + w2 * x.get(at + 2) + w3 * x.get(at + 3);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * {@code batch} group sums at once: item {@code lid} has written token b's partial to
     * {@code scratch[b * L + lid]}; afterwards {@code scratch[b * L]} holds token b's sum. Each
     * level of the tree spreads its {@code batch * stride} additions over all items, so the
     * group does the work of one tree per token with the barriers of a single tree. Starts and
     * ends with a barrier; every item of the group must call it.
     */
    static void sumEachToken(KernelContext ctx, float[] scratch, int batch) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            for (int i = lid; i < batch * stride; i += size) {
                int b = i / stride;
                int at = b * size + i - b * stride;
                scratch[at] += scratch[at + stride];
            }
            ctx.localBarrier();
        }
    }
}
