package org.lte4j.model.sparse;

import java.lang.foreign.Arena;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * A transposed copy of an FFN down projection, {@code [hiddenDim, dim]}: row {@code j} is neuron
 * j's output column, so an expert's columns are contiguous rows and the sparse FFN reads only the
 * rows of active experts. GGUF keeps {@code ffn_down} as {@code [dim, hiddenDim]}, where an
 * expert's columns are strided across every row.
 *
 * <p>Storage type: F32, F16 and BF16 stay in their type (exact: the same values). Q8_0 is
 * requantised along the new rows with GGML's Q8_0 rule (the blocks now run over outputs, so the
 * values move by up to half a quantisation step of the new block); Q4_0 is requantised to Q8_0
 * (requantising to Q4_0 would add a second, coarse rounding). Memory: one more copy of every
 * ffn_down (for Q4_0 files 34/18 = 1.9x its bytes); the mapped original is then not read in sparse
 * mode, so its pages need not stay resident.
 */
public final class TransposedDown {
    private TransposedDown() {
    }

    /** The storage type of the transposed copy of a down projection of {@code type}. */
    public static GgmlType typeFor(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0 -> type;
            case Q4_0 -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("no transposed copy for type " + type);
        };
    }

    /** Transposes {@code down} ({@code [dim, hidden]}) into memory owned by {@code arena}. */
    public static Tensor of(Tensor down, Arena arena) {
        int dim = down.rows();
        int hidden = down.cols();
        float[] src = down.toFloats();
        float[] t = new float[src.length];
        for (int r = 0; r < dim; r++) {
            int o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                t[j * dim + r] = src[o + j];
            }
        }
        GgmlType type = typeFor(down.type());
        if (dim % type.blockSize != 0) {
            type = GgmlType.F32; // rows of the copy must be whole blocks
        }
        return Tensor.fromFloats(down.name() + ".transposed", type, new long[]{hidden, dim}, t, arena);
    }
}
