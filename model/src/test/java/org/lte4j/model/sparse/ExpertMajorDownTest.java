package org.lte4j.model.sparse;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

class ExpertMajorDownTest {
    /** Row e*dim + i of the copy is row i of ffn_down at expert e's columns, value for value. */
    @ParameterizedTest
    @CsvSource({"F32,8,F32", "F16,32,F16", "BF16,16,BF16", "Q8_0,32,Q8_0", "Q4_0,64,Q4_0", "Q8_0,16,F32", "Q4_0,48,F32"})
    void regroupsEveryExpertsColumnsIntoContiguousRows(GgmlType type, int size, GgmlType copyType) {
        int dim = 64, hidden = 192;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] values = new float[dim * hidden];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor down = Tensor.fromFloats("blk.0.ffn_down.weight", type, new long[]{dim, hidden}, values, arena);
            float[] dense = down.toFloats();
            Tensor copy = ExpertMajorDown.of(down, size, arena);
            assertEquals(copyType, copy.type());
            assertArrayEquals(new long[]{(long) hidden / size * dim, size}, copy.shape());
            float[] row = new float[size];
            for (int e = 0; e < hidden / size; e++) {
                for (int i = 0; i < dim; i++) {
                    copy.rowTo(e * dim + i, row, 0);
                    for (int j = 0; j < size; j++) {
                        assertEquals(dense[i * hidden + e * size + j], row[j], 0f, "expert " + e + " output " + i);
                    }
                }
            }
        }
    }
}
