package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/** Runs tasks through a task graph and execution plan on the JVM backend; scalar helpers for references. */
final class JvmRun {
    private JvmRun() {
    }

    static void execute(Task... tasks) {
        TaskGraph g = new TaskGraph("test");
        for (Task t : tasks) {
            g.task(t);
        }
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(new JvmDevice())) {
            plan.execute();
        }
    }

    /** Element (row, col) of a GGML Q8_0 matrix with {@code cols} columns, decoded from the raw bytes. */
    static double q8_0(ByteArray w, long row, long col, long cols) {
        long block = (row * (cols / 32) + col / 32) * 34;
        short bits = (short) ((w.get(block) & 0xff) | (w.get(block + 1) & 0xff) << 8);
        return (double) Float.float16ToFloat(bits) * w.get(block + 2 + col % 32);
    }

    /** |expected[i] - actual[i]| <= tolerance[i] for every i. */
    static void assertClose(double[] expected, FloatArray actual, double[] tolerance, String what) {
        assertEquals(expected.length, actual.getSize(), what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual.get(i));
            assertTrue(err <= tolerance[i], what + "[" + i + "]: expected " + expected[i] + " got " + actual.get(i)
                    + " (error " + err + " > " + tolerance[i] + ")");
        }
    }

    static void assertClose(double[] expected, FloatArray actual, double tolerance, String what) {
        double[] t = new double[expected.length];
        java.util.Arrays.fill(t, tolerance);
        assertClose(expected, actual, t, what);
    }

    static double[] toDoubles(NativeArray a) {
        double[] d = new double[(int) a.getSize()];
        for (int i = 0; i < d.length; i++) {
            d[i] = ((FloatArray) a).get(i);
        }
        return d;
    }

    /** fp32 rounding allowance for a sum whose terms have absolute values summing to {@code absSum}. */
    static double sumTolerance(double absSum) {
        return 1e-6 + 2e-6 * absSum;
    }
}
