package org.lte4j.model.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * One expert's down contribution added into an accumulator, against the same sum in double over
 * the dequantised ffn_down: through Q8_0 panels (whole blocks, dim a multiple of the panel's
 * rows) and through the expert-major rows otherwise.
 */
class ExpertDownTest {
    @ParameterizedTest(name = "{0} expert size {1} dim {2}")
    @CsvSource({"Q8_0,32,64,true", "Q8_0,64,48,true", "Q8_0,32,20,false", "Q8_0,16,64,false", "F32,32,64,false", "F16,8,24,false"})
    void addsTheExpertsColumnsTimesItsActivations(GgmlType type, int size, int dim, boolean panels) {
        int hidden = 4 * size;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] values = new float[dim * hidden];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor down = Tensor.fromFloats("blk.0.ffn_down.weight", type, new long[]{dim, hidden}, values, arena);
            float[] w = down.toFloats();
            ExpertDown expertDown = ExpertDown.of(down, size, arena);
            assertEquals(panels && dim % Q8_0ExpertPanels.ROWS == 0, expertDown instanceof Q8_0ExpertPanels, "panels chosen");
            float[] h = new float[size];
            float[] start = new float[dim];
            for (int j = 0; j < size; j++) {
                h[j] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < dim; i++) {
                start[i] = (float) rnd.nextGaussian();
            }
            for (int e = 0; e < hidden / size; e++) {
                float[] acc = start.clone();
                expertDown.addExpert(e, h, acc, 0, new float[dim]);
                for (int i = 0; i < dim; i++) {
                    double expected = start[i];
                    double abs = Math.abs(start[i]);
                    for (int j = 0; j < size; j++) {
                        double term = (double) w[i * hidden + e * size + j] * h[j];
                        expected += term;
                        abs += Math.abs(term);
                    }
                    assertEquals(expected, acc[i], 1e-6 * abs + 1e-6, "expert " + e + " output " + i);
                }
            }
        }
    }
}
