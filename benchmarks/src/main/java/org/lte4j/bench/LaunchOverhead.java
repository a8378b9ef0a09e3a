package org.lte4j.bench;

import org.lte4j.kernels.VectorOps;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Host cost of the runtime itself: a plan of {@code tasks} tiny launches (256-float adds, whose
 * device time is negligible), timed on the host. Per launch = (time of the many-task plan -
 * time of the one-task plan) / (tasks - 1); per execution = time of the one-task plan.
 */
public final class LaunchOverhead {
    private LaunchOverhead() {
    }

    public record Result(double nanosPerLaunch, double nanosPerExecution, boolean captured) {
    }

    public static Result measure(Device device, int tasks, boolean capture) {
        double many = planNanos(device, tasks, capture);
        double one = planNanos(device, 1, capture);
        return new Result((many - one) / (tasks - 1), one, capture && device.supportsCapture());
    }

    private static double planNanos(Device device, int tasks, boolean capture) {
        int n = 256;
        try (FloatArray acc = new FloatArray(n); FloatArray delta = new FloatArray(n)) {
            TaskGraph g = new TaskGraph("launches").transferToDevice(DataTransferMode.FIRST_EXECUTION, acc, delta);
            for (int t = 0; t < tasks; t++) {
                g.task("add" + t, () -> VectorOps.addInPlace(acc, delta, n));
            }
            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device).withCapture(capture)) {
                return Timing.medianHostNanos(plan, 5, 50);
            }
        }
    }
}
