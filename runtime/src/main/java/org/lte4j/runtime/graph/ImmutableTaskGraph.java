package org.lte4j.runtime.graph;

import java.util.List;

/** A frozen task graph; plans execute these. */
public final class ImmutableTaskGraph {
    private final String name;
    private final List<GraphStep> steps;

    ImmutableTaskGraph(String name, List<GraphStep> steps) {
        this.name = name;
        this.steps = steps;
    }

    public String name() {
        return name;
    }

    List<GraphStep> steps() {
        return steps;
    }

    /** The tasks, in order. */
    public List<Task> tasks() {
        return steps.stream().filter(s -> s instanceof GraphStep.Launch).map(s -> ((GraphStep.Launch) s).task()).toList();
    }
}
