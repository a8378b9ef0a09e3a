package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.ExecutionProfile;
import org.lte4j.runtime.graph.TaskGraph;

/** A task graph executed repeatedly on the OpenCL device gives what the JVM backend gives, with one profile record per step. */
class OpenClTaskGraphTest {

    /** x is uploaded once; y every time; saxpy then scale, three executions; returns y. */
    private static FloatArray runThreeTimes(Device device, List<ExecutionProfile> profiles) {
        int n = 3000;
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, i % 11);
        }
        float alpha = 2f;
        float factor = 0.5f;
        TaskGraph g = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, y)
                .task("saxpy", () -> OpenClTestJavaKernels.saxpy(alpha, x, y, n))
                .task("scale", () -> OpenClTestJavaKernels.scale(y, factor, n))
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device).withProfiling(true)) {
            for (int run = 0; run < 3; run++) {
                for (int i = 0; i < n; i++) {
                    y.set(i, run + i % 5); // the host changes y between executions
                }
                profiles.add(plan.execute());
            }
        }
        return y;
    }

    @Test
    void repeatedExecutionsMatchTheJvmBackend() {
        try (OpenClBackend backend = OpenClTestDevice.backend(); JvmDevice jvm = new JvmDevice()) {
            List<ExecutionProfile> clProfiles = new java.util.ArrayList<>();
            FloatArray onCl = runThreeTimes(backend.device(0), clProfiles);
            FloatArray onJvm = runThreeTimes(jvm, new java.util.ArrayList<>());
            // small integers times powers of two: exact on both, fused or not
            assertEquals(-1, onJvm.segment().mismatch(onCl.segment()));
            assertEquals(List.of(ProfileRecord.Kind.COPY_TO_DEVICE, ProfileRecord.Kind.COPY_TO_DEVICE,
                    ProfileRecord.Kind.KERNEL, ProfileRecord.Kind.KERNEL, ProfileRecord.Kind.COPY_TO_HOST),
                    kinds(clProfiles.get(0)));
            assertEquals(List.of(ProfileRecord.Kind.COPY_TO_DEVICE, ProfileRecord.Kind.KERNEL,
                    ProfileRecord.Kind.KERNEL, ProfileRecord.Kind.COPY_TO_HOST), kinds(clProfiles.get(2)),
                    "x is uploaded on the first execution only");
        }
    }

    private static List<ProfileRecord.Kind> kinds(ExecutionProfile p) {
        return p.records().stream().map(ProfileRecord::kind).toList();
    }
}
