package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The vector helpers against plain loops in double, at lengths around the vector width. */
class FloatVectorsTest {

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 64, 100, 128, 1031})
    void dotAndAxpyMatchDoubleLoops(int len) {
        SplittableRandom r = new SplittableRandom(len);
        float[] a = new float[len + 3];
        float[] b = new float[len + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextDouble(-1, 1);
        }
        double expected = 0;
        double scale = 0;
        for (int i = 0; i < len; i++) {
            expected += (double) a[3 + i] * b[5 + i];
            scale += Math.abs((double) a[3 + i] * b[5 + i]);
        }
        float dot = FloatVectors.dot(a, 3, b, 5, len);
        assertEquals(expected, dot, 1e-6 * (1 + scale), "dot of " + len);
        assertEquals(Float.floatToIntBits(dot), Float.floatToIntBits(FloatVectors.dot(a, 3, b, 5, len)), "the same sum every time");

        // four runs at once: the same floats as four calls, bit for bit
        int stride = len + 2;
        float[] rows = new float[4 * stride + len + 7];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) r.nextDouble(-1, 1);
        }
        float[] four = new float[6];
        FloatVectors.dotFour(a, 3, rows, 7, stride, len, four, 1);
        float[] alphas = {0.75f, -1.5f, 0.3f, 2f};
        float[] y4 = b.clone();
        float[] y1 = b.clone();
        FloatVectors.axpyFour(alphas[0], alphas[1], alphas[2], alphas[3], rows, 7, stride, y4, 5, len);
        for (int k = 0; k < 4; k++) {
            assertEquals(Float.floatToIntBits(FloatVectors.dot(a, 3, rows, 7 + k * stride, len)), Float.floatToIntBits(four[1 + k]),
                    "dotFour row " + k + " of length " + len);
            FloatVectors.axpy(alphas[k], rows, 7 + k * stride, y1, 5, len);
        }
        for (int i = 0; i < b.length; i++) {
            assertEquals(Float.floatToIntBits(y1[i]), Float.floatToIntBits(y4[i]), "axpyFour y[" + i + "] at length " + len);
        }

        float[] y = b.clone();
        FloatVectors.axpy(0.75f, a, 3, y, 5, len);
        for (int i = 0; i < b.length; i++) {
            double want = i >= 5 && i < 5 + len ? b[i] + 0.75 * a[i - 2] : b[i];
            assertEquals(want, y[i], 1e-6, "y[" + i + "]");
        }
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 64, 100, 1031})
    void siluTimesMatchesDouble(int len) {
        SplittableRandom r = new SplittableRandom(len);
        float[] gate = new float[len + 2];
        float[] up = new float[len + 3];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) r.nextDouble(-12, 12);
        }
        for (int i = 0; i < up.length; i++) {
            up[i] = (float) r.nextDouble(-2, 2);
        }
        float[] out = gate.clone();
        FloatVectors.siluTimes(out, 2, up, 3, len);
        for (int i = 0; i < gate.length; i++) {
            double g = gate[i];
            double want = i >= 2 ? g / (1 + Math.exp(-g)) * up[i + 1] : g;
            assertEquals(want, out[i], 2e-6 * (1 + Math.abs(want)), "gate[" + i + "] at length " + len);
        }
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {1, 7, 15, 16, 17, 64, 100, 1031})
    void expOfScaledMinusMaxGivesSoftmaxNumeratorsAndTheirSum(int len) {
        SplittableRandom r = new SplittableRandom(len);
        float[] x = new float[len + 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-40, 40);
        }
        float scale = 0.125f;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            max = Math.max(max, (double) (x[4 + i] * scale));
        }
        float[] e = x.clone();
        float sum = FloatVectors.expOfScaledMinusMax(e, 4, len, scale);
        double wantSum = 0;
        for (int i = 0; i < x.length; i++) {
            double want = i >= 4 ? Math.exp(x[i] * scale - max) : x[i];
            wantSum += i >= 4 ? want : 0;
            assertEquals(want, e[i], 1e-6 * Math.max(1e-30, Math.abs(want)), "x[" + i + "] at length " + len);
        }
        assertEquals(wantSum, sum, 1e-6 * wantSum, "the sum at length " + len);
        assertEquals(Float.floatToIntBits(sum), Float.floatToIntBits(FloatVectors.expOfScaledMinusMax(x.clone(), 4, len, scale)),
                "the same sum every time");
    }

    @org.junit.jupiter.api.Test
    void expIsWithinTwoUlpsOfMathExpAndHandlesTheEnds() {
        jdk.incubator.vector.VectorSpecies<Float> s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        int n = s.length();
        SplittableRandom r = new SplittableRandom(7);
        float[] in = new float[n];
        float[] out = new float[n];
        double worst = 0;
        for (int k = 0; k < 200_000; k++) {
            for (int i = 0; i < n; i++) {
                in[i] = (float) r.nextDouble(-87.3, 88.7);
            }
            FloatVectors.exp(jdk.incubator.vector.FloatVector.fromArray(s, in, 0)).intoArray(out, 0);
            for (int i = 0; i < n; i++) {
                float want = (float) Math.exp(in[i]);
                worst = Math.max(worst, Math.abs(out[i] - want) / Math.ulp(want));
            }
        }
        assertTrue(worst <= 2, "largest error " + worst + " ulp");
        float[] ends = {0f, -0f, 1f, -1f, -87.3f, 88.7f, -88f, -200f, 89f, 500f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        for (float x : ends) {
            java.util.Arrays.fill(in, x);
            FloatVectors.exp(jdk.incubator.vector.FloatVector.fromArray(s, in, 0)).intoArray(out, 0);
            float want = (float) Math.exp(x);
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0 || x < -87.33654f) {
                assertEquals(x < -87.33654f ? 0f : want, out[0], "e^" + x);
            } else {
                assertEquals(want, out[0], 2 * Math.ulp(want), "e^" + x);
            }
        }
    }
}
