package org.lte4j.model.sparse;

import java.lang.foreign.Arena;

import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * A layer's FFN down projection as the JVM sparse FFN reads it: one active expert's contribution
 * at a time, reading only that expert's weights.
 */
interface ExpertDown {
    /**
     * {@code acc[accOffset + i] += sum_j down[i][expert * size + j] * h[j]} for every output row i,
     * with {@code scratch} (at least dim floats) to use as it likes.
     */
    void addExpert(int expert, float[] h, float[] acc, int accOffset, float[] scratch);

    /**
     * Q8_0 whose experts are whole blocks, over a whole number of {@link Q8_0ExpertPanels#ROWS}-row
     * panels: panels, where an output row is a vector lane and no sum crosses lanes; otherwise the
     * expert-major copy ({@link ExpertMajorDown}) through the tensor's own row products.
     */
    static ExpertDown of(Tensor down, int expertSize, Arena arena) {
        if (down.type() == GgmlType.Q8_0 && expertSize % 32 == 0 && down.rows() % Q8_0ExpertPanels.ROWS == 0) {
            return Q8_0ExpertPanels.of(down, expertSize, arena);
        }
        Tensor rows = ExpertMajorDown.of(down, expertSize, arena);
        int dim = down.rows();
        return (expert, h, acc, accOffset, scratch) -> {
            rows.matVecOnCallingThread(h, 0, scratch, 0, expert * dim, dim);
            for (int i = 0; i < dim; i++) {
                acc[accOffset + i] += scratch[i];
            }
        };
    }
}
