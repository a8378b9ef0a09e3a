package org.lte4j.model.device;

import java.lang.foreign.Arena;

import org.lte4j.kernels.Embedding;
import org.lte4j.kernels.MatVec;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;

/**
 * A weight matrix {@code [rows, cols]} as the device holds it: the raw storage (a view of the
 * model's own bytes where the format is one the kernels read, else a lossless copy) and the
 * tasks that read it: a GEMV and, for embedding tables, a row lookup.
 */
public record DeviceMatrix(String name, WeightFormat format, NativeArray data, int rows, int cols) {

    /** The device form of {@code t}; converted copies (BF16, Q4_0) live in {@code arena}. */
    public static DeviceMatrix of(Tensor t, Arena arena) {
        return switch (t.type()) {
            case F32 -> new DeviceMatrix(t.name(), WeightFormat.F32, t.asNativeArray(), t.rows(), t.cols());
            case F16 -> new DeviceMatrix(t.name(), WeightFormat.F16, t.asNativeArray(), t.rows(), t.cols());
            case Q8_0 -> new DeviceMatrix(t.name(), WeightFormat.Q8_0, t.asNativeArray(), t.rows(), t.cols());
            case BF16 -> new DeviceMatrix(t.name(), WeightFormat.F32, FloatArray.wrap(WeightConversion.toF32(t, arena)), t.rows(), t.cols());
            case Q4_0 -> new DeviceMatrix(t.name(), WeightFormat.Q8_0, ByteArray.wrap(WeightConversion.q4_0ToQ8_0(t, arena)), t.rows(), t.cols());
            default -> throw new IllegalArgumentException("tensor " + t.name() + ": type " + t.type() + " has no device kernel");
        };
    }

    /** Bytes a GEMV reads from this matrix. */
    public long bytes() {
        return format.rowBytes(cols) * rows;
    }

    /**
     * {@code out = this * in}, one work-group of {@code local} items per row (the grid MatVec
     * documents).
     */
    public Task gemv(String taskName, FloatArray in, FloatArray out, int local) {
        int rows = this.rows;
        int cols = this.cols;
        KernelContext ctx = new KernelContext();
        Task task = switch (format) {
            case F32 -> {
                FloatArray w = (FloatArray) data;
                yield Task.of(taskName, () -> MatVec.gemvF32(ctx, w, in, out, rows, cols));
            }
            case F16 -> {
                HalfArray w = (HalfArray) data;
                yield Task.of(taskName, () -> MatVec.gemvF16(ctx, w, in, out, rows, cols));
            }
            case Q8_0 -> {
                ByteArray w = (ByteArray) data;
                yield Task.of(taskName, () -> MatVec.gemvQ8_0(ctx, w, in, out, rows, cols));
            }
        };
        return task.withGrid(WorkerGrid.of(rows * local, local));
    }

    /** {@code out = row token[0]} of this table, dequantised to fp32. */
    public Task copyRow(String taskName, IntArray token, FloatArray out, int local) {
        int dim = cols;
        Task task = switch (format) {
            case F32 -> {
                FloatArray table = (FloatArray) data;
                yield Task.of(taskName, () -> Embedding.copyRowF32(table, token, out, dim));
            }
            case F16 -> {
                HalfArray table = (HalfArray) data;
                yield Task.of(taskName, () -> Embedding.copyRowF16(table, token, out, dim));
            }
            case Q8_0 -> {
                ByteArray table = (ByteArray) data;
                yield Task.of(taskName, () -> Embedding.copyRowQ8_0(table, token, out, dim));
            }
        };
        return task.withGrid(WorkerGrid.covering(dim, local, 65536));
    }
}
