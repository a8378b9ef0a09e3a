package org.lte4j.kernels.checks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.SelfTest;

/**
 * The prompt-batch kernel checks alone on the first OpenCL device (PoCL in CI) against the JVM
 * run, so a change to these kernels is checked without running every kernel of the project.
 */
class TokenBatchChecksOnOpenClTest {

    @Test
    void everyTokenBatchCheckPassesOnOpenCl() {
        Device device;
        try {
            device = Devices.select("opencl");
        } catch (IllegalArgumentException e) {
            Assumptions.abort("no OpenCL device, skipping: " + e.getMessage());
            return;
        }
        List<String> failures = new ArrayList<>();
        for (long seed : new long[] {1, 20240601L}) {
            for (KernelCheck check : TokenBatchChecks.all()) {
                KernelCheck.Prepared expected = check.prepare(seed);
                run(expected, new JvmDevice());
                KernelCheck.Prepared actual = check.prepare(seed);
                run(actual, device);
                for (int i = 0; i < expected.outputs().size(); i++) {
                    double error = SelfTest.maxRelativeError(expected.outputs().get(i), actual.outputs().get(i));
                    System.out.printf("%-40s seed %d output %d: max error %.2e (tolerance %.0e)%n", check.kernelName(), seed, i, error, actual.tolerance());
                    if (!(error <= actual.tolerance())) {
                        failures.add(check.kernelName() + " seed " + seed + " output " + i + ": " + error);
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), "on " + device.describe() + ": " + failures);
    }

    private static void run(KernelCheck.Prepared p, Device device) {
        TaskGraph g = new TaskGraph(p.task().name())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, p.inputs().toArray(NativeArray[]::new))
                .task(p.task())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, p.outputs().toArray(NativeArray[]::new));
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
            plan.execute();
        }
    }
}
