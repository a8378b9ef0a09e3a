package org.lte4j.model.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.lte4j.runtime.api.NativeArray;

/**
 * A tensor stored in a {@link MemorySegment} (usually a slice of a memory-mapped model file; no
 * heap copy) in one of the GGML storage types. One subclass per storage type.
 *
 * <p>Shape is in row-major, outermost-first order as PyTorch and safetensors write it; a matrix
 * is {@code [rows, cols]} and row {@code r} occupies a contiguous run of bytes. (GGUF lists
 * dimensions innermost first; the GGUF reader reverses them.) A tensor of higher rank is treated
 * as a matrix whose row length is the last dimension.
 *
 * <p>The products compute with {@code jdk.incubator.vector} and are exact re-statements of GGML's
 * dequantisation formulas; the accumulation order differs from a scalar loop, so results agree with
 * a scalar reference to float rounding, not bit for bit.
 */
public abstract sealed class Tensor permits F32Tensor, TwoByteFloatTensor, Q8_0Tensor, Q4_0Tensor {
    static final VectorSpecies<Float> F_SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Products with fewer multiply-adds than this run on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;
    /**
     * Multiply-adds per chunk of rows that a thread claims at a time, about 20 microseconds of
     * Q8_0: claiming and handing over a chunk moves shared cache lines between cores, and each
     * chunk starts four new weight streams ({@link #dotRows}). A 110M-parameter token on the
     * 2-core development machine, chunk sizes alternated in one process: Q8_0 5.0, 4.8, 4.5 and
     * 5.3 ms at 2^16, 2^17, 2^18 and 2^19 multiply-adds; F32 the same from 2^16 to 2^18 and 8%
     * slower at 2^19 (2^19 leaves a 768x768 product one chunk, on one thread).
     */
    private static final long CHUNK_MACS = 1 << 18;

    private final String name;
    private final long[] shape;
    private final MemorySegment data;
    protected final int rows;
    protected final int cols;

    Tensor(String name, long[] shape, MemorySegment data) {
        this.name = name;
        this.shape = shape.clone();
        this.data = data;
        long n = elementCount(shape);
        this.cols = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        this.rows = cols == 0 ? 0 : Math.toIntExact(n / cols);
        long expected = type().bytesFor(n);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " and type "
                    + type() + " needs " + expected + " bytes, segment has " + data.byteSize());
        }
        if (cols % type().blockSize != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + cols
                    + " is not a multiple of the " + type() + " block size " + type().blockSize);
        }
    }

    /**
     * Views {@code data} as a tensor of the given type and shape. The segment must hold exactly the
     * bytes the shape needs, and rows must be whole blocks.
     */
    public static Tensor of(String name, GgmlType type, long[] shape, MemorySegment data) {
        return switch (type) {
            case F32 -> new F32Tensor(name, shape, data);
            case F16 -> new F16Tensor(name, shape, data);
            case BF16 -> new BF16Tensor(name, shape, data);
            case Q8_0 -> new Q8_0Tensor(name, shape, data);
            case Q4_0 -> new Q4_0Tensor(name, shape, data);
            default -> throw new IllegalArgumentException("tensor " + name + ": type " + type + " is not computable");
        };
    }

    /** Quantises or converts {@code values} to {@code type} in memory owned by {@code arena}. */
    public static Tensor fromFloats(String name, GgmlType type, long[] shape, float[] values, Arena arena) {
        if (elementCount(shape) != values.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " has " + elementCount(shape) + " elements, given " + values.length);
        }
        MemorySegment seg = arena.allocate(type.bytesFor(values.length), 64);
        Quantizer.encode(type, values, 0, values.length, seg, 0);
        return of(name, type, shape, seg);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public abstract GgmlType type();

    public final String name() {
        return name;
    }

    /** Shape, outermost dimension first. */
    public final long[] shape() {
        return shape.clone();
    }

    public final long elementCount() {
        return (long) rows * cols;
    }

    /** Number of rows: the product of all dimensions but the last. */
    public final int rows() {
        return rows;
    }

    /** Row length: the last dimension. */
    public final int cols() {
        return cols;
    }

    /** The raw storage (GGML layout), a view, not a copy. */
    public final MemorySegment segment() {
        return data;
    }

    /** Bytes of one row. */
    public final long rowBytes() {
        return type().bytesFor(cols);
    }

    /** Element {@code index} in row-major order, dequantised. Slow: for tests and small tensors. */
    public abstract float get(long index);

    /** Dot product of row {@code row} with {@code x[xOffset .. xOffset + cols)}. */
    public abstract float dot(int row, float[] x, int xOffset);

    /** Dequantises row {@code row} into {@code out[outOffset .. outOffset + cols)}. */
    public void rowTo(int row, float[] out, int outOffset) {
        long base = (long) row * cols;
        for (int i = 0; i < cols; i++) {
            out[outOffset + i] = get(base + i);
        }
    }

    /** All elements, dequantised, in row-major order. */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int r = 0; r < rows; r++) {
            rowTo(r, out, r * cols);
        }
        return out;
    }

    /**
     * The storage as the runtime's off-heap array, without copying, for upload to a device:
     * F32 as {@code FloatArray}, F16 as {@code HalfArray}, and BF16, Q8_0 and Q4_0 as a
     * {@code ByteArray} of the raw GGML bytes.
     */
    public abstract NativeArray asNativeArray();

    /** {@code out[r] = row(r) . x} for every row, in parallel over rows when worth it. */
    public final void matVec(float[] x, float[] out) {
        matVec(x, 0, out, 0, rows);
    }

    /**
     * {@code out[outOffset + r - rowStart] = row(r) . x[xOffset ..]} for rows {@code rowStart ..
     * rowStart + rowCount}. Large products are split over threads when that has been measured to
     * be faster ({@link SplitChooser}).
     */
    public final void matVec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowCount) {
        requireRowLength(x, xOffset);
        long macs = (long) rowCount * cols;
        if (macs < PARALLEL_THRESHOLD) {
            dotRows(0, rowCount, rowStart, x, xOffset, out, outOffset);
            return;
        }
        SplitChooser chooser = SplitChooser.forProduct(type(), macs);
        long start = System.nanoTime();
        SplitChooser.Way way = chooser.next();
        if (way == SplitChooser.Way.SPLIT) {
            boolean split = ParallelRows.forEach(rowCount, rowsPerChunk(1), 1, out, outOffset,
                    (from, to, dst, dstOffset) -> dotRows(from, to, rowStart, x, xOffset, dst, dstOffset));
            if (split) {
                chooser.record(true, System.nanoTime() - start);
            }
        } else {
            if (way == SplitChooser.Way.CALLER_ONLY_WAKING_HELPERS) {
                ParallelRows.wakeHelpers();
            }
            dotRows(0, rowCount, rowStart, x, xOffset, out, outOffset);
            chooser.record(false, System.nanoTime() - start);
        }
    }

    /**
     * {@link #matVec(float[], int, float[], int, int, int)} on the calling thread alone, for a
     * caller that spreads its own work over threads (the LTE FFN, a task per group of experts):
     * the same four-row loop, never split.
     */
    public final void matVecOnCallingThread(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowCount) {
        requireRowLength(x, xOffset);
        dotRows(0, rowCount, rowStart, x, xOffset, out, outOffset);
    }

    /** Rejects an input with fewer than {@code cols} values from {@code xOffset} on. */
    private void requireRowLength(float[] x, int xOffset) {
        if (xOffset + cols > x.length) {
            throw new IllegalArgumentException(name + ": input of length " + (x.length - xOffset)
                    + " is shorter than the row length " + cols);
        }
    }

    /**
     * {@code dst[dstOffset + r] = row(rowStart + r) . x[xOffset ..]} for {@code r} in {@code [from, to)}.
     * The range is cut into four quarters read side by side ({@link #dotFourRows}): four streams
     * of weights far apart keep more memory reads in flight than one, which on the 2-core
     * development machine lifted a 110M-parameter F32 token's products from 35-38 to 44-50 GB/s
     * (interleaved runs in one process; docs/PERF.md).
     */
    private void dotRows(int from, int to, int rowStart, float[] x, int xOffset, float[] dst, int dstOffset) {
        int quarter = (to - from) / 4;
        for (int r = from; r < from + quarter; r++) {
            dotFourRows(rowStart + r, quarter, x, xOffset, dst, dstOffset + r);
        }
        for (int r = from + 4 * quarter; r < to; r++) {
            dst[dstOffset + r] = dot(rowStart + r, x, xOffset);
        }
    }

    /**
     * {@code dst[dstIndex + k * stride] = dot(row + k * stride, x, xOffset)} for {@code k < 4}. A
     * storage type overrides this to read the four rows in one loop, each row with exactly
     * {@link #dot}'s operations, so every result is the same as the single-row product's.
     */
    void dotFourRows(int row, int stride, float[] x, int xOffset, float[] dst, int dstIndex) {
        for (int k = 0; k < 4; k++) {
            dst[dstIndex + k * stride] = dot(row + k * stride, x, xOffset);
        }
    }

    /** Rows per parallel chunk for {@code count} inputs: whole cache lines of output (16 floats). */
    private int rowsPerChunk(int count) {
        long rows = CHUNK_MACS / ((long) cols * count);
        return (int) Math.max(16, Math.min(1 << 16, rows) & ~15);
    }

    /** Short form: rows {@code [0, rowCount)} into {@code out[outOffset..]}. */
    public final void matVec(float[] x, int xOffset, float[] out, int outOffset, int rowCount) {
        matVec(x, xOffset, out, outOffset, 0, rowCount);
    }

    /**
     * The product with a batch of {@code count} input vectors:
     * {@code outs[t * rows + r] = row(r) . xs[t * cols .. (t + 1) * cols)} for every token
     * {@code t < count} and row {@code r} (both flat, token-major). Each row is read from memory
     * once and dotted with every input of the batch while it is in cache, so a prompt of T tokens
     * streams the weights T / count times fewer than T calls of {@link #matVec}. Each token gets
     * the same float operations as {@link #dot} (and so {@link #matVec}); parallel over rows when
     * the product is large enough.
     */
    public final void matMul(float[] xs, int count, float[] outs) {
        if (count < 0 || (long) count * cols > xs.length) {
            throw new IllegalArgumentException(name + ": " + count + " inputs of length " + cols
                    + " do not fit an array of " + xs.length);
        }
        if ((long) count * rows > outs.length) {
            throw new IllegalArgumentException(name + ": " + count + " outputs of length " + rows
                    + " do not fit an array of " + outs.length);
        }
        if ((long) rows * cols * count < PARALLEL_THRESHOLD) {
            for (int r = 0; r < rows; r++) {
                dotBatch(r, xs, count, outs);
            }
            return;
        }
        // dotBatch writes token t's result of row r to [t * rows + r], the layout ParallelRows asks for
        ParallelRows.forEach(rows, rowsPerChunk(count), count, outs, 0, (from, to, dst, dstOffset) -> {
            for (int r = from; r < to; r++) {
                dotBatch(r, xs, count, dst);
            }
        });
    }

    /**
     * {@code outs[t * rows + row] = dot(row, xs, t * cols)} for {@code t < count}, four inputs at
     * a time ({@link #dotFourInputs}) while the row is in cache.
     */
    private void dotBatch(int row, float[] xs, int count, float[] outs) {
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            dotFourInputs(row, xs, t, outs);
        }
        for (; t < count; t++) {
            outs[t * rows + row] = dot(row, xs, t * cols);
        }
    }

    /**
     * The results of row {@code row} for inputs {@code t .. t+3} into their token-major places. A
     * storage type overrides this to load (and convert) each weight vector once for the four
     * inputs, each in its own accumulator with exactly {@link #dot}'s operations, so that the
     * four independent fma chains overlap instead of waiting on one accumulator.
     */
    void dotFourInputs(int row, float[] xs, int t, float[] outs) {
        store4(outs, t, row, dot(row, xs, t * cols), dot(row, xs, (t + 1) * cols), dot(row, xs, (t + 2) * cols),
                dot(row, xs, (t + 3) * cols));
    }

    /** Results of row {@code row} for tokens {@code t .. t + 3} into their token-major places. */
    final void store4(float[] outs, int t, int row, float s0, float s1, float s2, float s3) {
        int o = t * rows + row;
        outs[o] = s0;
        outs[o + rows] = s1;
        outs[o + 2 * rows] = s2;
        outs[o + 3 * rows] = s3;
    }

    /**
     * A tensor of the same type and shape whose row {@code i} is this tensor's row
     * {@code order[i]}; the bytes are copied into memory owned by {@code arena}.
     */
    public final Tensor permuteRows(int[] order, Arena arena) {
        if (order.length != rows) {
            throw new IllegalArgumentException(name + ": permutation of " + order.length + " rows, tensor has " + rows);
        }
        long rb = rowBytes();
        MemorySegment out = arena.allocate(data.byteSize(), 64);
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(data, order[i] * rb, out, i * rb, rb);
        }
        return of(name, type(), shape, out);
    }

    /** Copies this tensor's bytes into memory owned by {@code arena} (e.g. to outlive a mapping). */
    public final Tensor copyTo(Arena arena) {
        MemorySegment out = arena.allocate(data.byteSize(), 64);
        MemorySegment.copy(data, 0, out, 0, data.byteSize());
        return of(name, type(), shape, out);
    }

    @Override
    public String toString() {
        return name + " " + type() + Arrays.toString(shape);
    }
}
