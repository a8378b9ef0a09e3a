package org.lte4j.runtime.backend.cuda;

import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.compiler.GeneratedKernel;

/** A loaded module and its kernel function, ready to launch on the device that built it. */
public final class CudaKernel implements DeviceKernel {
    private final CudaDevice device;
    private final GeneratedKernel generated;
    private final long module;
    private final long function;
    private final int maxThreadsPerBlock;
    private final int registers;
    private final String architecture;
    private final boolean awaitsPredecessor;
    private volatile boolean closed;
    private WorkerGrid lastGrid; // decode launches the same kernel with the same grid over and over
    private LaunchShape lastShape;

    CudaKernel(CudaDevice device, GeneratedKernel generated, long module, long function, int maxThreadsPerBlock,
               int registers, String architecture) {
        this.device = device;
        this.generated = generated;
        this.module = module;
        this.function = function;
        this.maxThreadsPerBlock = maxThreadsPerBlock;
        this.registers = registers;
        this.architecture = architecture;
        this.awaitsPredecessor = generated.source().contains("griddepcontrol.wait");
    }

    @Override
    public GeneratedKernel generated() {
        return generated;
    }

    /** The most threads per block this kernel can launch with (fewer than the device's when it uses many registers). */
    public int maxThreadsPerBlock() {
        return maxThreadsPerBlock;
    }

    public int registersPerThread() {
        return registers;
    }

    /** {@code sm_90} (CUBIN) or {@code compute_90} (PTX, JIT-compiled by the driver). */
    public String architecture() {
        return architecture;
    }

    /**
     * Whether the kernel begins by waiting for the grid launched before it ({@code griddepcontrol.wait},
     * which the kernel compiler emits into every kernel), so that it may be launched as a
     * programmatic dependent; hand-written CUDA C without it launches plainly.
     */
    boolean awaitsPredecessor() {
        return awaitsPredecessor;
    }

    /** The launch shape for {@code grid}, remembered for the next launch with the same grid. */
    LaunchShape shapeFor(WorkerGrid grid) {
        if (!grid.equals(lastGrid)) {
            lastShape = LaunchShape.of(generated.entryName(), generated.usesContext(), grid, maxThreadsPerBlock);
            lastGrid = grid;
        }
        return lastShape;
    }

    CudaDevice device() {
        return device;
    }

    long function() {
        return function;
    }

    long module() {
        return module;
    }

    boolean isClosed() {
        return closed;
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
        device.unload(this);
    }

    @Override
    public String toString() {
        return "kernel " + generated.entryName() + " (" + architecture + ", " + registers + " registers) on " + device.spec();
    }
}
