package org.lte4j.bench;

import java.util.Arrays;

import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.ExecutionProfile;

/**
 * Runs a plan repeatedly and reports the median device time of its kernels (profiling on) or, on
 * the JVM, of the whole execution. Medians, not means: one slow outlier says nothing about the kernel.
 */
public final class Timing {
    private Timing() {
    }

    /** Median over {@code runs} executions (after {@code warmUp}) of the kernels' device nanoseconds. */
    public static double medianKernelNanos(ExecutionPlan plan, int warmUp, int runs) {
        plan.withProfiling(true);
        for (int i = 0; i < warmUp; i++) {
            plan.execute();
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            ExecutionProfile p = plan.execute();
            long k = p.records().stream().filter(r -> r.kind() == ProfileRecord.Kind.KERNEL).mapToLong(ProfileRecord::deviceNanos).sum();
            t[i] = k > 0 ? k : p.hostNanos();
        }
        return median(t);
    }

    /** Median wall nanoseconds per execution, profiling off. */
    public static double medianHostNanos(ExecutionPlan plan, int warmUp, int runs) {
        plan.withProfiling(false);
        for (int i = 0; i < warmUp; i++) {
            plan.execute();
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            t[i] = plan.execute().hostNanos();
        }
        return median(t);
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
