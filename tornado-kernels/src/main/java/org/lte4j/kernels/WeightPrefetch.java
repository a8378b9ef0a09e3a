package org.lte4j.kernels;

import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The weight prefetches a GEMV work-group issues before {@link KernelContext#awaitPrecedingKernel}:
 * it names the rows it is about to stream ({@link KernelContext#prefetchToCache}). On CUDA
 * (compute 9.0+) a kernel's groups are placed while the kernel before it drains, or beside a
 * small kernel that leaves most of the GPU idle (a decode step's attention, the router's
 * compaction), so memory keeps serving weights in those gaps and the first loads after the wait
 * hit L2 instead of each paying a round trip to memory. Weights only: no kernel of a step writes
 * them, so reading them before the wait is allowed. No result changes.
 */
final class WeightPrefetch {
    private WeightPrefetch() {
    }

    /** Rows {@code [r0, min(r0 + 4, rows))} of a row-major matrix of {@code words} words a row (fp16 pairs). */
    static void fourRows(KernelContext ctx, IntArray w, int r0, int rows, int words) {
        rows(ctx, 0, w, r0, Math.min(r0 + 4, rows), words);
    }

    /** Rows {@code [h0, min(h0 + 2, rows))} of two matrices of the same shape (a gate and an up projection). */
    static void twoRowsOfEach(KernelContext ctx, IntArray a, IntArray b, int h0, int rows, int words) {
        int end = Math.min(h0 + 2, rows);
        rows(ctx, 0, a, h0, end, words);
        rows(ctx, 1, b, h0, end, words);
    }

    /**
     * {@link #fourRows} of a split Q8_0 matrix ({@link Q8_0Split}): {@code words} quant words a
     * row, and one fp16 block scale per eight words.
     */
    static void fourRowsQ8_0(KernelContext ctx, IntArray quants, HalfArray scales, int r0, int rows, int words) {
        int end = Math.min(r0 + 4, rows);
        rows(ctx, 0, quants, r0, end, words);
        scaleRows(ctx, 1, scales, r0, end, words / 8);
    }

    /** {@link #twoRowsOfEach} of two split Q8_0 matrices. */
    static void twoRowsOfEachQ8_0(KernelContext ctx, IntArray aQuants, HalfArray aScales, IntArray bQuants, HalfArray bScales,
                                  int h0, int rows, int words) {
        int end = Math.min(h0 + 2, rows);
        rows(ctx, 0, aQuants, h0, end, words);
        rows(ctx, 1, bQuants, h0, end, words);
        scaleRows(ctx, 2, aScales, h0, end, words / 8);
        scaleRows(ctx, 3, bScales, h0, end, words / 8);
    }

    /** Item {@code item} asks for rows {@code [first, end)}, one request for the run. */
    private static void rows(KernelContext ctx, int item, IntArray w, int first, int end, int words) {
        if (ctx.localIdx == item && first < end) {
            ctx.prefetchToCache(w, (long) first * words, (end - first) * words);
        }
    }

    private static void scaleRows(KernelContext ctx, int item, HalfArray scales, int first, int end, int perRow) {
        if (ctx.localIdx == item && first < end) {
            ctx.prefetchToCache(scales, (long) first * perRow, (end - first) * perRow);
        }
    }
}
