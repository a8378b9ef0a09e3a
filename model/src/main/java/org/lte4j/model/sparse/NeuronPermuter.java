package org.lte4j.model.sparse;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.lte4j.model.tensor.Quantizer;
import org.lte4j.model.tensor.Tensor;

/**
 * Moves FFN neurons in GGUF tensors, keeping each tensor's storage type: neuron p of the result
 * is neuron {@code order[p]} of the input. Gate and up rows are neurons (a byte copy of whole
 * rows, exact in every type); down columns are neurons, so each row of {@code ffn_down} is
 * dequantised, permuted and written back: exact for F32, F16 and BF16, requantised with GGML's
 * reference quantiser for Q8_0 and Q4_0 (a block now holds different values, so its scale and
 * rounding change: quantisation noise of the type, once more).
 */
public final class NeuronPermuter {
    /** Where permuted tensors are written. */
    public interface Memory {
        MemorySegment allocate(long bytes) throws IOException;
    }

    private NeuronPermuter() {
    }

    /** Gate/up projection {@code [hidden, dim]}: rows are neurons. */
    public static Tensor rows(Tensor t, int[] order, Memory memory) throws IOException {
        if (order.length != t.rows()) {
            throw new IllegalArgumentException(t.name() + ": permutation of " + order.length + " rows, tensor has "
                    + t.rows());
        }
        long rb = t.rowBytes();
        MemorySegment out = memory.allocate(t.segment().byteSize());
        for (int i = 0; i < order.length; i++) {
            MemorySegment.copy(t.segment(), order[i] * rb, out, i * rb, rb);
        }
        return Tensor.of(t.name(), t.type(), t.shape(), out);
    }

    /** Down projection {@code [dim, hidden]}: columns are neurons. */
    public static Tensor columns(Tensor t, int[] order, Memory memory) throws IOException {
        int cols = t.cols();
        if (order.length != cols) {
            throw new IllegalArgumentException(t.name() + ": permutation of " + order.length + " columns, tensor has "
                    + cols);
        }
        float[] src = t.toFloats();
        float[] out = new float[src.length];
        for (int r = 0; r < t.rows(); r++) {
            int o = r * cols;
            for (int p = 0; p < cols; p++) {
                out[o + p] = src[o + order[p]];
            }
        }
        MemorySegment seg = memory.allocate(t.segment().byteSize());
        Quantizer.encode(t.type(), out, 0, out.length, seg, 0);
        return Tensor.of(t.name(), t.type(), t.shape(), seg);
    }

    /** {@code values} as {@code [order.length][cols]} with rows reordered. */
    static float[] rows(float[] values, int cols, int[] order) {
        float[] out = new float[values.length];
        for (int p = 0; p < order.length; p++) {
            System.arraycopy(values, order[p] * cols, out, p * cols, cols);
        }
        return out;
    }
}
