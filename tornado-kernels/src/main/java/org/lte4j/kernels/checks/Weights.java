package org.lte4j.kernels.checks;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;

/** Element access to a row-major weight matrix in any stored format, for error scales. */
@FunctionalInterface
interface Weights {
    double at(long row, long col);

    static Weights of(FloatArray w, int cols) {
        return (r, c) -> w.get(r * cols + c);
    }

    static Weights of(HalfArray w, int cols) {
        return (r, c) -> w.get(r * cols + c);
    }

    static Weights ofQ8_0(ByteArray w, int cols) {
        return (r, c) -> {
            long block = r * (cols / 32) * 34 + c / 32 * 34;
            return w.getHalf(block) * w.get(block + 2 + c % 32);
        };
    }

    /** max over rows of sum_c |w[r][c] * x[c]|: the scale of a row's fp32 rounding error. */
    default double maxAbsRowDot(int rows, int cols, FloatArray x) {
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += Math.abs(at(r, c) * x.get(c));
            }
            worst = Math.max(worst, s);
        }
        return worst;
    }

    /** max over rows of |sum_c w[r][c] * x[c]|. */
    default double maxAbsRowValue(int rows, int cols, FloatArray x) {
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += at(r, c) * x.get(c);
            }
            worst = Math.max(worst, Math.abs(s));
        }
        return worst;
    }
}
