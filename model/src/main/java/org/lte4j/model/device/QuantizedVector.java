package org.lte4j.model.device;

import org.lte4j.kernels.QuantizedInputMatVec;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;

/**
 * A device vector of up to {@code capacity} elements held as int8 blocks (quant words and fp32
 * block scales), the input of the split Q8_0 GEMVs of {@link DecodeOptions.Q8_0Input#INT8_BLOCKS},
 * with the tasks that fill it ({@link #quantize}, {@link #normedQuantize}) and those that read it.
 * Each task's lambda captures locals only.
 */
final class QuantizedVector implements AutoCloseable {
    private final IntArray quants;
    private final FloatArray scales;

    /** Room for {@code capacity} elements, rounded up to whole blocks of 32. */
    QuantizedVector(int capacity) {
        int blocks = (capacity + 31) / 32;
        this.quants = new IntArray(blocks * 8L);
        this.scales = new FloatArray(blocks);
    }

    /** This vector = the first {@code n} elements of {@code x}, an item per word in groups of {@code local}. */
    Task quantize(String name, FloatArray x, int n, int local) {
        IntArray q = quants;
        FloatArray s = scales;
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> QuantizedInputMatVec.quantize(ctx, x, q, s, n)).withGrid(WorkerGrid.covering(n / 4, local, 65536));
    }

    /** This vector = {@code RMSNorm(x) * weight} ({@code n} elements), in one group of {@code vectorLocal}. */
    Task normedQuantize(String name, FloatArray x, FloatArray weight, int n, float eps, int vectorLocal) {
        IntArray q = quants;
        FloatArray s = scales;
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> QuantizedInputMatVec.normedQuantize(ctx, x, weight, q, s, n, eps))
                .withGrid(WorkerGrid.of(vectorLocal, vectorLocal));
    }

    /** {@code out = W this} (split Q8_0 {@code w}), or {@code out += W this} when {@code adding}; four rows per group. */
    Task gemv(String name, DeviceMatrix w, FloatArray out, boolean adding, int local) {
        IntArray q = quants;
        FloatArray s = scales;
        IntArray wq = w.splitQuants();
        HalfArray ws = w.splitScales();
        int rows = w.rows();
        int cols = w.cols();
        KernelContext ctx = new KernelContext();
        return Task.of(name, () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, wq, ws, q, s, out, adding, rows, cols))
                .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local));
    }

    IntArray quants() {
        return quants;
    }

    FloatArray scales() {
        return scales;
    }

    @Override
    public void close() {
        quants.close();
        scales.close();
    }
}
