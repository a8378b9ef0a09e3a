package org.lte4j.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;

/** The storage conversions keep every weight's value: the device computes on what the JVM model does. */
class DeviceMatrixTest {

    @Test
    void q4_0BecomesQ8_0WithIdenticalValues() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor q4 = Tensor.fromFloats("w", GgmlType.Q4_0, new long[] {5, 96}, random(5 * 96, 1), arena);
            DeviceMatrix m = DeviceMatrix.of(q4, arena);
            assertEquals(WeightFormat.Q8_0, m.format());
            assertEquals(5L * 96 / 32 * 34, m.bytes());
            ByteArray b = (ByteArray) m.data();
            for (int i = 0; i < 5 * 96; i++) {
                long block = (long) (i / 32) * 34;
                float value = b.getHalf(block) * b.get(block + 2 + i % 32);
                assertEquals(q4.get(i), value, 0f, "element " + i);
            }
        }
    }

    @Test
    void bf16BecomesF32WithIdenticalValues() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor bf = Tensor.fromFloats("w", GgmlType.BF16, new long[] {3, 40}, random(120, 2), arena);
            DeviceMatrix m = DeviceMatrix.of(bf, arena);
            assertEquals(WeightFormat.F32, m.format());
            assertEquals(3L * 40 * 4, m.bytes());
            for (int i = 0; i < 120; i++) {
                assertEquals(bf.get(i), ((FloatArray) m.data()).get(i), 0f, "element " + i);
            }
        }
    }

    @Test
    void storedFormatsAreViewsNotCopies() {
        try (Arena arena = Arena.ofConfined()) {
            for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0}) {
                Tensor tensor = Tensor.fromFloats("w", t, new long[] {2, 64}, random(128, 3), arena);
                DeviceMatrix m = DeviceMatrix.of(tensor, arena);
                assertEquals(t.name(), m.format().name());
                assertEquals(tensor.segment().address(), m.data().segment().address(), t + " is uploaded from the model's own bytes");
                assertEquals(tensor.segment().byteSize(), m.bytes());
                long gemvBytes = m.gemvArrays().stream().mapToLong(a -> a.byteSize()).sum();
                assertEquals(tensor.segment().byteSize(), gemvBytes, t + ": the GEMV reads as many bytes as the tensor holds");
                if (t != GgmlType.Q8_0) { // Q8_0 is split into quants and scales for word loads
                    assertEquals(tensor.segment().address(), m.gemvArrays().getFirst().segment().address(), t + ": the GEMV reads the same bytes");
                }
            }
        }
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }
}
