package org.lte4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * One plan, two graphs: the second reads a buffer the first left on the device, nothing comes
 * back until asked, and uploads marked FIRST_EXECUTION happen once. Checked against plain loops.
 */
class MultiGraphPlanTest {

    private static Device device(String spec) {
        if (spec.startsWith("opencl")) {
            Assumptions.assumeFalse(Devices.backend(BackendKind.OPENCL).devices().isEmpty(),
                    "no OpenCL device: " + Devices.backend(BackendKind.OPENCL).unavailableReason().orElse(""));
        }
        return Devices.select(spec);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jvm", "opencl"})
    void secondGraphReadsWhatTheFirstLeftOnTheDevice(String spec) {
        Device device = device(spec);
        int n = 1000;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, i);
            y.set(i, 1);
        }
        float two = 2f;
        float half = 0.5f;
        ImmutableTaskGraph first = new TaskGraph("first")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x, y)
                .task("saxpy", () -> GraphTestKernels.saxpy(two, x, y, n))
                .snapshot();
        ImmutableTaskGraph second = new TaskGraph("second")
                .task("scale", () -> GraphTestKernels.scale(y, half, n))
                .transferToHost(DataTransferMode.UNDER_DEMAND, y)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(first, second).withDevice(device).withProfiling(true)) {
            ExecutionProfile p1 = plan.execute();
            ExecutionProfile p2 = plan.execute();
            plan.transferToHost(y);
            // y0 = 1; each execution: y = (2x + y) * 0.5 on the device copy, uploaded only the first time
            for (int i = 0; i < n; i += 97) {
                double yi = 1;
                for (int e = 0; e < 2; e++) {
                    yi = (2.0 * i + yi) * 0.5;
                }
                assertEquals(yi, y.get(i), 1e-4 * Math.max(1, yi), "element " + i);
            }
            if (device.kind() != BackendKind.JVM) {
                assertEquals(2, uploads(p1), "first execution uploads x and y");
                assertEquals(0, uploads(p2), "FIRST_EXECUTION uploads do not repeat");
            }
        }
    }

    private static long uploads(ExecutionProfile p) {
        return p.records().stream().filter(r -> r.kind() == ProfileRecord.Kind.COPY_TO_DEVICE).count();
    }
}
