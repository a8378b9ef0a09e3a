package org.lte4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.ProfileRecord;
import org.lte4j.runtime.backend.jvm.JvmDevice;

/**
 * Groups of a plan's graphs: a group runs only its graphs, in its own order, on the plan's
 * buffers; an array that two graphs upload FIRST_EXECUTION reaches the device once, whichever
 * group runs first. Results checked against the same arithmetic in plain Java.
 */
class GraphGroupTest {

    private static Device device(String spec) {
        if (spec.startsWith("opencl")) {
            Assumptions.assumeFalse(Devices.backend(BackendKind.OPENCL).devices().isEmpty(),
                    "no OpenCL device: " + Devices.backend(BackendKind.OPENCL).unavailableReason().orElse(""));
        }
        return Devices.select(spec);
    }

    /**
     * "step": a += w. "batch": b += 2w, then "handoff": a += b. Both step and batch upload w
     * (the shared weights); step and handoff both upload a.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jvm", "opencl"})
    void groupsShareBuffersAndUploadSharedArraysOnce(String spec) {
        Device device = device(spec);
        int n = 777;
        FloatArray w = new FloatArray(n);
        FloatArray a = new FloatArray(n);
        FloatArray b = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            w.set(i, i % 13 - 6);
            a.set(i, i);
        }
        float one = 1f;
        float two = 2f;
        ImmutableTaskGraph step = new TaskGraph("step")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, w, a)
                .task("a+=w", () -> GraphTestKernels.saxpy(one, w, a, n))
                .snapshot();
        ImmutableTaskGraph batch = new TaskGraph("batch")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, w, b)
                .task("b+=2w", () -> GraphTestKernels.saxpy(two, w, b, n))
                .snapshot();
        ImmutableTaskGraph handoff = new TaskGraph("handoff")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a)
                .task("a+=b", () -> GraphTestKernels.saxpy(one, b, a, n))
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(step, batch, handoff).withDevice(device).withProfiling(true)) {
            ExecutionPlan.GraphGroup decode = plan.group(step);
            ExecutionPlan.GraphGroup prefill = plan.group(batch, handoff);
            ExecutionProfile p1 = plan.execute(prefill); // b = 2w, a = a0 + 2w
            ExecutionProfile p2 = plan.execute(decode);  // a = a0 + 3w
            ExecutionProfile p3 = plan.execute(prefill); // b = 4w, a = a0 + 7w
            plan.execute(decode);                        // a = a0 + 8w
            plan.transferToHost(a, b);
            for (int i = 0; i < n; i++) {
                float wi = i % 13 - 6;
                assertEquals(i + 8f * wi, a.get(i), 0f, "a[" + i + "]");
                assertEquals(4f * wi, b.get(i), 0f, "b[" + i + "]");
            }
            assertEquals(2, prefill.executions());
            assertEquals(2, decode.executions());
            if (device.kind() != BackendKind.JVM) {
                assertEquals(3, uploads(p1), "the first group uploads w, b and a");
                assertEquals(0, uploads(p2), "the other group finds w and a on the device");
                assertEquals(0, uploads(p3), "FIRST_EXECUTION uploads do not repeat");
                assertEquals(1, launches(p2), "a group launches only its own tasks");
                assertEquals(2, launches(p3));
            }
        }
    }

    /** A group runs its graphs in the order it names them, which may differ from the plan's. */
    @Test
    void aGroupRunsInItsOwnOrder() {
        int n = 5;
        FloatArray y = FloatArray.of(1, 2, 3, 4, 5);
        FloatArray ones = FloatArray.of(1, 1, 1, 1, 1);
        float one = 1f;
        float two = 2f;
        ImmutableTaskGraph doubling = new TaskGraph("double").task("y*=2", () -> GraphTestKernels.scale(y, two, n)).snapshot();
        ImmutableTaskGraph increment = new TaskGraph("increment").task("y+=1", () -> GraphTestKernels.saxpy(one, ones, y, n)).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(doubling, increment).withDevice(new JvmDevice())) {
            plan.execute(plan.group(increment, doubling)); // (y + 1) * 2
            plan.execute();                                // then * 2 + 1, the plan's order
            for (int i = 0; i < n; i++) {
                assertEquals(((i + 1) + 1) * 2 * 2 + 1, y.get(i), 0f);
            }
        }
    }

    @Test
    void groupsRejectGraphsOutsideThePlanRepeatsAndOtherPlans() {
        int n = 3;
        FloatArray y = new FloatArray(n);
        float two = 2f;
        ImmutableTaskGraph g1 = new TaskGraph("g1").task("s", () -> GraphTestKernels.scale(y, two, n)).snapshot();
        ImmutableTaskGraph g2 = new TaskGraph("g2").task("s", () -> GraphTestKernels.scale(y, two, n)).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(g1).withDevice(new JvmDevice());
             ExecutionPlan other = new ExecutionPlan(g2).withDevice(new JvmDevice())) {
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> plan.group(g2));
            assertTrue(outside.getMessage().contains("'g2' is not part of this execution plan"), outside.getMessage());
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> plan.group(g1, g1));
            assertTrue(twice.getMessage().contains("appears twice"), twice.getMessage());
            assertThrows(IllegalArgumentException.class, plan::group);
            ExecutionPlan.GraphGroup foreign = other.group(g2);
            IllegalArgumentException wrongPlan = assertThrows(IllegalArgumentException.class, () -> plan.execute(foreign));
            assertTrue(wrongPlan.getMessage().contains("another execution plan"), wrongPlan.getMessage());
        }
    }

    private static long uploads(ExecutionProfile p) {
        return p.records().stream().filter(r -> r.kind() == ProfileRecord.Kind.COPY_TO_DEVICE).count();
    }

    private static long launches(ExecutionProfile p) {
        return p.records().stream().filter(r -> r.kind() == ProfileRecord.Kind.KERNEL).count();
    }
}
