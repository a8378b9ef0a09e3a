package org.lte4j.model.device;

import java.lang.foreign.Arena;
import java.util.List;

import org.lte4j.kernels.Embedding;
import org.lte4j.kernels.MatVec;
import org.lte4j.kernels.Q8_0Split;
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
 *
 * @param data       the storage as the row lookup reads it
 * @param gemvArrays the arrays the GEMV reads: for F16 an {@code IntArray} view of packed fp16
 *                   pairs (the fastest fp16 GEMV loads two weights per 32-bit word); for Q8_0 the
 *                   blocks split into int8 quants (loaded as words) and fp16 scales; else
 *                   {@code data} itself. A tied F16 or Q8_0 table is therefore extra device buffers.
 */
public record DeviceMatrix(String name, WeightFormat format, NativeArray data, List<NativeArray> gemvArrays, int rows, int cols) {

    /** The device form of {@code t}; converted copies (BF16, Q4_0) live in {@code arena}. */
    public static DeviceMatrix of(Tensor t, Arena arena) {
        return switch (t.type()) {
            case F32 -> same(t, WeightFormat.F32, t.asNativeArray());
            case F16 -> new DeviceMatrix(t.name(), WeightFormat.F16, t.asNativeArray(), List.of(IntArray.wrap(t.segment())), t.rows(), t.cols());
            case Q8_0 -> split(t, (ByteArray) t.asNativeArray(), arena);
            case BF16 -> same(t, WeightFormat.F32, FloatArray.wrap(WeightConversion.toF32(t, arena)));
            case Q4_0 -> split(t, ByteArray.wrap(WeightConversion.q4_0ToQ8_0(t, arena)), arena);
            default -> throw new IllegalArgumentException("tensor " + t.name() + ": type " + t.type() + " has no device kernel");
        };
    }

    private static DeviceMatrix same(Tensor t, WeightFormat format, NativeArray data) {
        return new DeviceMatrix(t.name(), format, data, List.of(data), t.rows(), t.cols());
    }

    /** Q8_0 blocks as the word-loading GEMV reads them (copied once into {@code arena}). */
    private static DeviceMatrix split(Tensor t, ByteArray blocks, Arena arena) {
        Q8_0Split s = Q8_0Split.of(blocks, t.rows(), t.cols(), arena);
        return new DeviceMatrix(t.name(), WeightFormat.Q8_0, blocks, List.of(s.quants(), s.scales()), t.rows(), t.cols());
    }

    /**
     * The matrix as one array for kernels that read whole rows: the packed-pair view for F16
     * (what the fp16 kernels load), GGML's interleaved blocks for Q8_0, else {@code data}.
     */
    public NativeArray gemvData() {
        return format == WeightFormat.F16 ? gemvArrays.getFirst() : data;
    }

    /** The arrays the work-group GEMVs (and the fused and sparse kernels) read from all these matrices, for one upload. */
    public static NativeArray[] allGemvData(DeviceMatrix... matrices) {
        return allGemvData(DecodeOptions.GemvSplit.GROUPS_OF_ROWS, matrices);
    }

    /** The arrays {@link #gemv} with {@code split} reads from all these matrices, for one upload. */
    public static NativeArray[] allGemvData(DecodeOptions.GemvSplit split, DeviceMatrix... matrices) {
        return java.util.Arrays.stream(matrices)
                .flatMap(m -> split == DecodeOptions.GemvSplit.ITEM_PER_ROW ? java.util.stream.Stream.of(m.gemvData()) : m.gemvArrays().stream())
                .toArray(NativeArray[]::new);
    }

    /** Bytes a GEMV reads from this matrix. */
    public long bytes() {
        return format.rowBytes(cols) * rows;
    }

    /**
     * {@code out = this * in}. {@link DecodeOptions.GemvSplit#GROUPS_OF_ROWS}: one work-group of
     * {@code local} items per row (F32) or per four rows (F16 {@code gemvF16PairsFourRows},
     * Q8_0 {@code gemvQ8_0SplitWordsFourRows}; for F16 0.84 of a device copy on an H200 against
     * 0.30-0.33 for one fp16 per load). {@link DecodeOptions.GemvSplit#ITEM_PER_ROW}: the
     * barrier-free {@code ...RowPerItem} kernels over groups of {@code local} items (Q8_0 on GGML's
     * interleaved blocks, {@link #gemvData}); upload what {@link #allGemvData(DecodeOptions.GemvSplit, DeviceMatrix...)} names.
     */
    public Task gemv(String taskName, FloatArray in, FloatArray out, int local, DecodeOptions.GemvSplit split) {
        int rows = this.rows;
        int cols = this.cols;
        KernelContext ctx = new KernelContext();
        boolean itemPerRow = split == DecodeOptions.GemvSplit.ITEM_PER_ROW;
        WorkerGrid grid = itemPerRow ? WorkerGrid.covering(rows, local, 65536)
                : WorkerGrid.of((format == WeightFormat.F32 ? rows : (rows + 3) / 4) * local, local);
        Task task = switch (format) {
            case F32 -> {
                FloatArray w = (FloatArray) gemvArrays.getFirst();
                yield itemPerRow ? Task.of(taskName, () -> MatVec.gemvF32RowPerItem(w, in, out, rows, cols))
                        : Task.of(taskName, () -> MatVec.gemvF32(ctx, w, in, out, rows, cols));
            }
            case F16 -> {
                IntArray w = (IntArray) gemvArrays.getFirst();
                yield itemPerRow ? Task.of(taskName, () -> MatVec.gemvF16PairsRowPerItem(w, in, out, rows, cols))
                        : Task.of(taskName, () -> MatVec.gemvF16PairsFourRows(ctx, w, in, out, rows, cols));
            }
            case Q8_0 -> {
                if (itemPerRow) { // GGML's interleaved blocks: the quants load as bytes
                    ByteArray blocks = (ByteArray) data;
                    yield Task.of(taskName, () -> MatVec.gemvQ8_0RowPerItem(blocks, in, out, rows, cols));
                }
                IntArray quants = (IntArray) gemvArrays.get(0);
                HalfArray scales = (HalfArray) gemvArrays.get(1);
                yield Task.of(taskName, () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, in, out, rows, cols));
            }
        };
        return task.withGrid(grid);
    }

    /**
     * {@code acc += this * in} in one kernel (a residual add folded into the GEMV): with
     * {@link DecodeOptions.GemvSplit#GROUPS_OF_ROWS} four rows per work-group, fp16 and Q8_0 only
     * ({@link #fusable}); with {@link DecodeOptions.GemvSplit#ITEM_PER_ROW} an item per row, every
     * format ({@code MatVec.gemv...RowPerItemAddingInto}), over the arrays {@link #gemv} reads with
     * that split.
     */
    public Task gemvAddingInto(String taskName, FloatArray in, FloatArray acc, int local, DecodeOptions.GemvSplit split) {
        int rows = this.rows;
        int cols = this.cols;
        if (split == DecodeOptions.GemvSplit.ITEM_PER_ROW) {
            Task task = switch (format) {
                case F32 -> {
                    FloatArray w = (FloatArray) gemvData();
                    yield Task.of(taskName, () -> MatVec.gemvF32RowPerItemAddingInto(w, in, acc, rows, cols));
                }
                case F16 -> {
                    IntArray w = (IntArray) gemvData();
                    yield Task.of(taskName, () -> MatVec.gemvF16PairsRowPerItemAddingInto(w, in, acc, rows, cols));
                }
                case Q8_0 -> {
                    ByteArray w = (ByteArray) gemvData();
                    yield Task.of(taskName, () -> MatVec.gemvQ8_0RowPerItemAddingInto(w, in, acc, rows, cols));
                }
            };
            return task.withGrid(WorkerGrid.covering(rows, local, 65536));
        }
        KernelContext ctx = new KernelContext();
        Task task = switch (format) {
            case F16 -> {
                IntArray w = packedHalves();
                yield Task.of(taskName, () -> MatVec.gemvF16PairsFourRowsAddingInto(ctx, w, in, acc, rows, cols));
            }
            case Q8_0 -> {
                IntArray quants = splitQuants();
                HalfArray scales = splitScales();
                yield Task.of(taskName, () -> MatVec.gemvQ8_0SplitWordsFourRowsAddingInto(ctx, quants, scales, in, acc, rows, cols));
            }
            case F32 -> throw new IllegalStateException(name + " is F32: no fused kernels read it");
        };
        return task.withGrid(WorkerGrid.of((rows + 3) / 4 * local, local));
    }

    /** Whether the fused decode kernels ({@code FusedMatVec}, the adding GEMVs) read this matrix: fp16 or Q8_0. */
    public boolean fusable() {
        return format == WeightFormat.F16 || format == WeightFormat.Q8_0;
    }

    /** Whether the matrices are all {@link #fusable} and of one format (one fused kernel reads them together). */
    public static boolean allFusable(DeviceMatrix... matrices) {
        return matrices[0].fusable() && java.util.Arrays.stream(matrices).allMatch(m -> m.format == matrices[0].format);
    }

    /** The Q8_0 quants as 32-bit words (four per word), as the split-word kernels read them. */
    public IntArray splitQuants() {
        requireQ8_0();
        return (IntArray) gemvArrays.get(0);
    }

    /** The Q8_0 block scales (fp16), as the split-word kernels read them. */
    public HalfArray splitScales() {
        requireQ8_0();
        return (HalfArray) gemvArrays.get(1);
    }

    private void requireQ8_0() {
        if (format != WeightFormat.Q8_0) {
            throw new IllegalStateException(name + " is " + format + ", not Q8_0");
        }
    }

    /** Whether the GEMV reads fp16 weights packed two per 32-bit word (what the fused kernels read). */
    public boolean readsPackedHalves() {
        return format == WeightFormat.F16;
    }

    /** The packed fp16 pairs the fused kernels read. */
    public IntArray packedHalves() {
        if (!readsPackedHalves()) {
            throw new IllegalStateException(name + " is " + format + ", not fp16");
        }
        return (IntArray) gemvArrays.getFirst();
    }

    /** Whether every matrix {@link #readsPackedHalves}. */
    public static boolean allPackedHalves(DeviceMatrix... matrices) {
        return java.util.Arrays.stream(matrices).allMatch(DeviceMatrix::readsPackedHalves);
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
