package org.lte4j.model.sparse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.lte4j.model.tensor.Tensor;

/**
 * A Q8_0 down projection for the JVM sparse FFN, stored so that an expert's contribution needs no
 * sums across vector lanes. The expert-major copy ({@link ExpertMajorDown}) gives each output row
 * of an expert one 32-long dot: for Q8_0 that is two vector multiply-adds and then a sum over the
 * lanes per row, and the lane sums cost more than the products (the sparse Q8_0 FFN block at 50%
 * ran as long as the dense one, docs/PERF.md). Here the {@link #ROWS} output rows of a panel are
 * the lanes: for each of an expert's block's 32 columns the panel holds the rows' quants side by
 * side, so the expert's activations are broadcast, multiplied into the rows' sums, and the block
 * scales of the rows multiply those sums at once.
 *
 * <p>The same quants and scales as ffn_down (the scales widened from fp16 to fp32, exactly); the
 * sums run in another order than {@link Tensor#dot}'s. Layout, per expert, panel and block of the
 * expert's slice: 32 x {@link #ROWS} quant bytes (column-major), then, apart, {@link #ROWS} scales.
 * Memory: about one more ffn_down per layer, as the expert-major copy it replaces.
 */
final class Q8_0ExpertPanels implements ExpertDown {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    /** Output rows per panel: the float lanes. */
    static final int ROWS = F.length();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment quants;
    private final MemorySegment scales;
    private final int panels;
    private final int blocks;

    private Q8_0ExpertPanels(MemorySegment quants, MemorySegment scales, int panels, int blocks) {
        this.quants = quants;
        this.scales = scales;
        this.panels = panels;
        this.blocks = blocks;
    }

    /** Panels of {@code down} ({@code [dim, hidden]} Q8_0, dim a multiple of {@link #ROWS}) in memory owned by {@code arena}. */
    static Q8_0ExpertPanels of(Tensor down, int expertSize, Arena arena) {
        int dim = down.rows();
        int experts = down.cols() / expertSize;
        int blocks = expertSize / BLOCK;
        int panels = dim / ROWS;
        long rowBytes = down.rowBytes();
        MemorySegment src = down.segment();
        MemorySegment q = arena.allocate((long) experts * dim * expertSize, 64);
        MemorySegment s = arena.allocate(4L * experts * dim * blocks, 64);
        for (int e = 0; e < experts; e++) {
            for (int p = 0; p < panels; p++) {
                for (int b = 0; b < blocks; b++) {
                    long unit = ((long) e * panels + p) * blocks + b;
                    for (int r = 0; r < ROWS; r++) {
                        long block = (long) (p * ROWS + r) * rowBytes + (long) (e * blocks + b) * BLOCK_BYTES;
                        s.set(FLOAT, 4 * (unit * ROWS + r), Float.float16ToFloat(src.get(HALF, block)));
                        for (int j = 0; j < BLOCK; j++) {
                            q.set(ValueLayout.JAVA_BYTE, (unit * BLOCK + j) * ROWS + r, src.get(ValueLayout.JAVA_BYTE, block + 2 + j));
                        }
                    }
                }
            }
        }
        return new Q8_0ExpertPanels(q, s, panels, blocks);
    }

    /**
     * Four sums per panel and block, over columns j, j+1, j+2, j+3 in turn, so that the chains of
     * multiply-adds overlap.
     */
    @Override
    public void addExpert(int expert, float[] h, float[] acc, int accOffset, float[] scratch) {
        for (int p = 0; p < panels; p++) {
            FloatVector total = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long unit = ((long) expert * panels + p) * blocks + b;
                long base = unit * BLOCK * ROWS;
                int hb = b * BLOCK;
                FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                for (int j = 0; j < BLOCK; j += 4) {
                    s0 = column(base, j).fma(FloatVector.broadcast(F, h[hb + j]), s0);
                    s1 = column(base, j + 1).fma(FloatVector.broadcast(F, h[hb + j + 1]), s1);
                    s2 = column(base, j + 2).fma(FloatVector.broadcast(F, h[hb + j + 2]), s2);
                    s3 = column(base, j + 3).fma(FloatVector.broadcast(F, h[hb + j + 3]), s3);
                }
                FloatVector d = FloatVector.fromMemorySegment(F, scales, 4 * unit * ROWS, ByteOrder.LITTLE_ENDIAN);
                total = s0.add(s1).add(s2.add(s3)).fma(d, total);
            }
            int at = accOffset + p * ROWS;
            FloatVector.fromArray(F, acc, at).add(total).intoArray(acc, at);
        }
    }

    /** Column j of a panel's block: its {@link #ROWS} rows' quants as floats. */
    private FloatVector column(long base, int j) {
        ByteVector q = ByteVector.fromMemorySegment(B, quants, base + (long) j * ROWS, ByteOrder.LITTLE_ENDIAN);
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }
}
