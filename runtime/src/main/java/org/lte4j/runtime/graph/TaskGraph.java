package org.lte4j.runtime.graph;

import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.KernelCall;
import org.lte4j.runtime.api.NativeArray;

/**
 * Declares, in order, what a device does: uploads, kernel tasks, downloads. Mutable while it is
 * being built; {@link #snapshot()} freezes it for an {@link ExecutionPlan}.
 *
 * <pre>{@code
 * TaskGraph graph = new TaskGraph("layer")
 *         .transferToDevice(DataTransferMode.FIRST_EXECUTION, weights)
 *         .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
 *         .task("gemv", () -> Gemv.fp32(weights, x, y, rows, cols))
 *         .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
 * try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.select("auto"))) {
 *     plan.execute();
 * }
 * }</pre>
 */
public final class TaskGraph {
    private final String name;
    private final List<GraphStep> steps = new ArrayList<>();

    public TaskGraph(String name) {
        this.name = name;
    }

    public TaskGraph transferToDevice(DataTransferMode mode, NativeArray... arrays) {
        steps.add(new GraphStep.Upload(mode, checked(arrays, "transferToDevice")));
        return this;
    }

    public TaskGraph transferToHost(DataTransferMode mode, NativeArray... arrays) {
        steps.add(new GraphStep.Download(mode, checked(arrays, "transferToHost")));
        return this;
    }

    /** Keeps these arrays' device buffers alive for the next graph of the same plan (documentary: buffers persist across a plan's graphs). */
    public TaskGraph persistOnDevice(NativeArray... arrays) {
        checked(arrays, "persistOnDevice");
        return this;
    }

    /** Reads these arrays from a buffer a previous graph of the same plan left on the device (documentary, as above). */
    public TaskGraph consumeFromDevice(NativeArray... arrays) {
        checked(arrays, "consumeFromDevice");
        return this;
    }

    public TaskGraph task(String taskName, KernelCall call) {
        return task(Task.of(taskName, call));
    }

    public TaskGraph task(Task task) {
        steps.add(new GraphStep.Launch(task));
        return this;
    }

    public ImmutableTaskGraph snapshot() {
        return new ImmutableTaskGraph(name, List.copyOf(steps));
    }

    private NativeArray[] checked(NativeArray[] arrays, String what) {
        for (int i = 0; i < arrays.length; i++) {
            if (arrays[i] == null) {
                throw new IllegalArgumentException("graph '" + name + "': " + what + " argument " + i + " is null");
            }
        }
        return arrays.clone();
    }
}
