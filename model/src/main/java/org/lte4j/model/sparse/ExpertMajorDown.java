package org.lte4j.model.sparse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * An FFN down projection regrouped by expert, so that an expert's weights are one contiguous
 * run and the sparse FFN reads only the active experts' bytes.
 *
 * <p>GGUF stores {@code ffn_down} as {@code [dim, hidden]}: expert e's columns
 * {@code [e*size, (e+1)*size)} are a short slice of every one of the dim rows. The regrouped copy
 * is {@code [experts * dim, size]}: row {@code e*dim + i} is that slice of row i, so expert e is
 * rows {@code [e*dim, (e+1)*dim)}, and its contribution to output i is a dot product of row
 * {@code e*dim + i} with the expert's activations. (The device layout of DESIGN.md, down
 * transposed with an expert's columns as contiguous rows, has the same contiguity; on the JVM this
 * layout lets the Tensor dot products do the work.)
 *
 * <p>When the expert size is a whole number of the type's blocks (any size for F32, F16, BF16;
 * multiples of 32 for Q8_0 and Q4_0), each slice is a byte copy of whole blocks: exact, and the
 * same bytes as ffn_down. Otherwise the copy is F32 (dequantised, exact values, 4 bytes a weight).
 * Memory: one more ffn_down per layer; the mapped original is then not read in sparse mode, so
 * its pages need not stay resident.
 */
public final class ExpertMajorDown {
    private ExpertMajorDown() {
    }

    /** Regroups {@code down} ({@code [dim, hidden]}) into memory owned by {@code arena}. */
    public static Tensor of(Tensor down, int expertSize, Arena arena) {
        int dim = down.rows();
        int hidden = down.cols();
        int experts = hidden / expertSize;
        long[] shape = {(long) experts * dim, expertSize};
        String name = down.name() + ".by_expert";
        GgmlType type = down.type();
        if (expertSize % type.blockSize == 0) {
            long slice = type.bytesFor(expertSize);
            long rowBytes = down.rowBytes();
            MemorySegment src = down.segment();
            MemorySegment dst = arena.allocate(src.byteSize(), 64);
            for (int e = 0; e < experts; e++) {
                for (int i = 0; i < dim; i++) {
                    MemorySegment.copy(src, i * rowBytes + e * slice, dst, ((long) e * dim + i) * slice, slice);
                }
            }
            return Tensor.of(name, type, shape, dst);
        }
        float[] src = down.toFloats();
        float[] out = new float[src.length];
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < dim; i++) {
                System.arraycopy(src, i * hidden + e * expertSize, out, (e * dim + i) * expertSize, expertSize);
            }
        }
        return Tensor.fromFloats(name, GgmlType.F32, shape, out, arena);
    }
}
