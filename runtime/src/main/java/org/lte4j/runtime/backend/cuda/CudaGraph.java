package org.lte4j.runtime.backend.cuda;

import org.lte4j.runtime.backend.CapturedWork;

/** A captured CUDA graph, instantiated once; {@link #replay()} launches it on its device's stream. */
public final class CudaGraph implements CapturedWork {
    private final CudaDevice device;
    private final long graph;
    private final long executable;
    private final int operations;
    private volatile boolean closed;

    CudaGraph(CudaDevice device, long graph, long executable, int operations) {
        this.device = device;
        this.graph = graph;
        this.executable = executable;
        this.operations = operations;
    }

    @Override
    public void replay() {
        if (closed) {
            throw new IllegalStateException("this captured work (" + operations + " operations on " + device.spec() + ") was closed");
        }
        device.launchGraph(this);
    }

    /** How many copies and launches were recorded. */
    public int operations() {
        return operations;
    }

    long graph() {
        return graph;
    }

    long executable() {
        return executable;
    }

    synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    @Override
    public void close() {
        device.destroyGraph(this);
    }

    /** The profile label of a replay. */
    @Override
    public String toString() {
        return "graph of " + operations + " operations";
    }
}
