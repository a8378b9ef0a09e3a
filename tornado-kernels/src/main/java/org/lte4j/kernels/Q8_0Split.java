package org.lte4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;

/**
 * GGML Q8_0 weights split into their parts for {@link MatVec#gemvQ8_0SplitWordsFourRows}: the
 * int8 quants back to back (so they load as aligned words) and the fp16 block scales in their
 * own array. Same bytes in all, exactly the same values. Not a kernel: runs on the host once.
 */
public record Q8_0Split(IntArray quants, HalfArray scales) {

    /**
     * Splits {@code rows x cols} weights stored as GGML's 34-byte blocks ({@code cols % 32 == 0})
     * into memory of {@code arena}, which owns the result.
     */
    public static Q8_0Split of(ByteArray blocks, int rows, int cols, Arena arena) {
        if (cols % MatVec.Q8_0_BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 rows need a multiple of 32 columns, got " + cols);
        }
        long nBlocks = (long) rows * cols / MatVec.Q8_0_BLOCK;
        if (blocks.byteSize() != nBlocks * MatVec.Q8_0_BLOCK_BYTES) {
            throw new IllegalArgumentException("Q8_0 data of " + blocks.byteSize() + " bytes is not " + rows + " x " + cols);
        }
        IntArray quants = IntArray.wrap(arena.allocate((long) rows * cols, 64));
        HalfArray scales = HalfArray.wrap(arena.allocate(nBlocks * 2, 64));
        MemorySegment src = blocks.segment();
        for (long b = 0; b < nBlocks; b++) {
            long at = b * MatVec.Q8_0_BLOCK_BYTES;
            scales.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, b, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
            MemorySegment.copy(src, at + 2, quants.segment(), b * MatVec.Q8_0_BLOCK, MatVec.Q8_0_BLOCK);
        }
        return new Q8_0Split(quants, scales);
    }
}
