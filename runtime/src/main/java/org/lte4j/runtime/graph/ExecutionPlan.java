package org.lte4j.runtime.graph;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.CapturedWork;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;

/**
 * Binds one or more frozen task graphs to a device and runs them, in order, as one unit of work.
 * Buffers belong to the plan: an array gets one device buffer for all graphs of the plan, so
 * weights upload once and activations stay on the device between graphs. Nothing waits for the
 * device between tasks; {@link #execute()} waits once at the end.
 *
 * <p>With {@link #withCapture(boolean) capture} on a device that supports it (CUDA graphs), the
 * second execution records every task of the plan once and later executions replay the
 * recording with a single launch; uploads that happen every execution are issued before it and
 * downloads after it.
 *
 * <p>A plan may hold graphs that do not always run together (a decode step and a prompt batch
 * over the same weights): {@link #group} names a fixed sequence of the plan's graphs and
 * {@link #execute(GraphGroup)} runs only those, on the same device buffers. Each group keeps its
 * own capture. An array uploaded {@link DataTransferMode#FIRST_EXECUTION FIRST_EXECUTION} is
 * uploaded once per plan, by whichever graph declaring it runs first, so weights shared by two
 * groups (or two graphs) reach the device once.
 */
public final class ExecutionPlan implements AutoCloseable {
    private final List<ImmutableTaskGraph> graphs;
    private final GraphGroup all;
    private final Map<Task, WorkerGrid> gridOverrides = new IdentityHashMap<>();
    private Device device;
    private boolean profiling;
    private boolean capture;

    private final Map<NativeArray, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Map<Task, DeviceKernel> kernels = new IdentityHashMap<>();
    private final Map<String, DeviceKernel> kernelsByKey = new HashMap<>();
    private final Set<NativeArray> uploadedOnce = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<GraphGroup> groups = new ArrayList<>();
    private long executions;
    private ExecutionProfile lastProfile;

    public ExecutionPlan(ImmutableTaskGraph... graphs) {
        if (graphs.length == 0) {
            throw new IllegalArgumentException("an execution plan needs at least one task graph");
        }
        this.graphs = List.of(graphs);
        this.all = group(graphs);
    }

    /**
     * A fixed sequence of this plan's graphs that {@link #execute(GraphGroup)} runs as one unit,
     * in the order given here (not necessarily the plan's). Groups may overlap; each has its own
     * capture (recorded on its second execution) and its own first execution for
     * {@code FIRST_EXECUTION} downloads.
     *
     * @throws IllegalArgumentException if {@code graphs} is empty, repeats a graph, or names a
     *                                  graph that is not part of this plan
     */
    public GraphGroup group(ImmutableTaskGraph... graphs) {
        if (graphs.length == 0) {
            throw new IllegalArgumentException("a graph group needs at least one task graph");
        }
        Set<ImmutableTaskGraph> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ImmutableTaskGraph g : graphs) {
            if (g == null) {
                throw new IllegalArgumentException("a graph group cannot hold null");
            }
            if (this.graphs.stream().noneMatch(own -> own == g)) {
                throw new IllegalArgumentException("graph '" + g.name() + "' is not part of this execution plan");
            }
            if (!seen.add(g)) {
                throw new IllegalArgumentException("graph '" + g.name() + "' appears twice in one group");
            }
        }
        GraphGroup group = new GraphGroup(this, List.of(graphs));
        groups.add(group);
        return group;
    }

    /**
     * Some of a plan's graphs, run together by {@link ExecutionPlan#execute(GraphGroup)}; made by
     * {@link ExecutionPlan#group}. Holds the group's capture and execution count.
     */
    public static final class GraphGroup {
        private final ExecutionPlan plan;
        private final List<ImmutableTaskGraph> graphs;
        private CapturedWork captured;
        private long executions;

        private GraphGroup(ExecutionPlan plan, List<ImmutableTaskGraph> graphs) {
            this.plan = plan;
            this.graphs = graphs;
        }

        /** The graphs, in the order they run. */
        public List<ImmutableTaskGraph> graphs() {
            return graphs;
        }

        /** How many times this group has run. */
        public long executions() {
            return executions;
        }

        @Override
        public String toString() {
            return graphs.stream().map(ImmutableTaskGraph::name).toList().toString();
        }
    }

    /** Runs on {@code device}; the default is {@code Devices.select("auto")}. */
    public ExecutionPlan withDevice(Device device) {
        if (executions > 0) {
            throw new IllegalStateException("the device of a plan cannot change after it has executed");
        }
        this.device = device;
        return this;
    }

    /** Overrides the launch grid of {@code task}. */
    public ExecutionPlan withGrid(Task task, WorkerGrid grid) {
        gridOverrides.put(task, grid);
        return this;
    }

    /** Records device time of every kernel and transfer (costs a little host time). */
    public ExecutionPlan withProfiling(boolean on) {
        this.profiling = on;
        return this;
    }

    /** Captures the plan's tasks once and replays them (CUDA graphs); ignored where unsupported. */
    public ExecutionPlan withCapture(boolean on) {
        this.capture = on;
        return this;
    }

    public Device device() {
        if (device == null) {
            device = Devices.select("auto");
        }
        return device;
    }

    /** Runs every graph once, in the plan's order, then waits for the device. */
    public ExecutionProfile execute() {
        return execute(all);
    }

    /** Runs the graphs of {@code group} (made by this plan's {@link #group}) once, then waits for the device. */
    public ExecutionProfile execute(GraphGroup group) {
        if (group.plan != this) {
            throw new IllegalArgumentException("graph group " + group + " belongs to another execution plan");
        }
        Device d = device();
        d.setProfiling(profiling);
        long start = System.nanoTime();
        boolean first = group.executions == 0;
        if (capture && d.supportsCapture() && !first) {
            runCaptured(d, group);
        } else {
            for (ImmutableTaskGraph g : group.graphs) {
                for (GraphStep step : g.steps()) {
                    runStep(d, step, first);
                }
            }
        }
        d.synchronize();
        long host = System.nanoTime() - start;
        executions++;
        group.executions++;
        lastProfile = ExecutionProfile.of(host, profiling ? d.takeProfile() : List.of());
        return lastProfile;
    }

    /** Brings these arrays' device contents back now (for UNDER_DEMAND downloads). */
    public void transferToHost(NativeArray... arrays) {
        Device d = device();
        for (NativeArray a : arrays) {
            DeviceBuffer b = buffers.get(a);
            if (b == null) {
                throw new IllegalArgumentException(a + " is not on the device of this plan");
            }
            d.copyToHost(a, b);
        }
        d.synchronize();
    }

    public ExecutionProfile lastProfile() {
        return lastProfile;
    }

    private void runStep(Device d, GraphStep step, boolean first) {
        switch (step) {
            case GraphStep.Upload up -> {
                for (NativeArray a : up.arrays()) {
                    DeviceBuffer b = buffer(d, a);
                    if (up.mode() == DataTransferMode.EVERY_EXECUTION || up.mode() == DataTransferMode.FIRST_EXECUTION && uploadedOnce.add(a)) {
                        d.copyToDevice(b, a);
                    }
                }
            }
            case GraphStep.Download down -> {
                for (NativeArray a : down.arrays()) {
                    DeviceBuffer b = buffer(d, a);
                    if (down.mode() == DataTransferMode.EVERY_EXECUTION || first && down.mode() == DataTransferMode.FIRST_EXECUTION) {
                        d.copyToHost(a, b);
                    }
                }
            }
            case GraphStep.Launch launch -> launch(d, launch.task());
        }
    }

    private void runCaptured(Device d, GraphGroup group) {
        List<GraphStep> before = new ArrayList<>();
        List<GraphStep> tasks = new ArrayList<>();
        List<GraphStep> after = new ArrayList<>();
        for (ImmutableTaskGraph g : group.graphs) {
            for (GraphStep step : g.steps()) {
                switch (step) {
                    case GraphStep.Launch l -> {
                        if (!after.isEmpty()) {
                            throw new IllegalStateException("graph '" + g.name() + "': capture needs every download after the last task,"
                                    + " but task '" + l.task().name() + "' follows a download");
                        }
                        tasks.add(l);
                    }
                    case GraphStep.Upload u -> {
                        if (!tasks.isEmpty() && u.mode() == DataTransferMode.EVERY_EXECUTION) {
                            throw new IllegalStateException("graph '" + g.name() + "': capture needs every per-execution upload before the first task");
                        }
                        before.add(u);
                    }
                    case GraphStep.Download dl -> after.add(dl);
                }
            }
        }
        for (GraphStep s : before) {
            runStep(d, s, false);
        }
        if (group.captured == null) {
            d.synchronize();
            d.beginCapture();
            try {
                for (GraphStep s : tasks) {
                    runStep(d, s, false);
                }
            } finally {
                group.captured = d.endCapture();
            }
        }
        group.captured.replay();
        for (GraphStep s : after) {
            runStep(d, s, false);
        }
    }

    private void launch(Device d, Task task) {
        DeviceKernel k = kernels.computeIfAbsent(task, t -> build(d, t));
        Class<?>[] types = task.kernel().getParameterTypes();
        Object[] args = new Object[types.length];
        NativeArray[] hostArrays = new NativeArray[types.length];
        for (int i = 0; i < types.length; i++) {
            Object a = task.arg(i);
            if (a instanceof NativeArray array) {
                hostArrays[i] = array;
                args[i] = buffer(d, array);
            } else if (a instanceof KernelContext) {
                args[i] = null;
            } else {
                args[i] = a;
            }
        }
        d.launch(k, args, hostArrays, grid(d, task, k));
    }

    private DeviceKernel build(Device d, Task t) {
        Method m = t.kernel();
        String key = m.toGenericString() + t.specialisations(); // the full signature: overloads are different kernels
        return kernelsByKey.computeIfAbsent(key, unused -> d.build(m, t.specialisations()));
    }

    private WorkerGrid grid(Device d, Task task, DeviceKernel k) {
        WorkerGrid g = gridOverrides.get(task);
        if (g != null) {
            return g;
        }
        if (task.grid().isPresent()) {
            return task.grid().get();
        }
        if (k.generated().usesContext()) {
            throw new IllegalStateException("task '" + task.name() + "' uses KernelContext: give it a grid with Task.withGrid or ExecutionPlan.withGrid");
        }
        OptionalInt bound = k.generated().loopBoundParam();
        int local = Math.min(256, d.maxWorkGroupSize());
        if (bound.isPresent() && task.arg(bound.getAsInt()) instanceof Integer n) {
            return WorkerGrid.covering(n, local, 65536);
        }
        return WorkerGrid.of(local, local);
    }

    private DeviceBuffer buffer(Device d, NativeArray a) {
        return buffers.computeIfAbsent(a, d::allocate);
    }

    /** Frees the plan's device buffers, kernels and recordings. */
    @Override
    public void close() {
        for (GraphGroup g : groups) {
            if (g.captured != null) {
                g.captured.close();
                g.captured = null;
            }
        }
        buffers.values().forEach(DeviceBuffer::close);
        buffers.clear();
        kernelsByKey.values().forEach(DeviceKernel::close);
        kernelsByKey.clear();
        kernels.clear();
    }
}
