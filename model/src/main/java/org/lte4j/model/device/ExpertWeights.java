package org.lte4j.model.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.lte4j.kernels.Q8_0Split;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.sparse.ExpertRouter;
import org.lte4j.model.sparse.LteModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;

/**
 * What the device sparse FFN reads besides the model's own gate and up tensors, made once on the
 * host and shareable by several {@link SparseFeedForward}s (one per threshold in a benchmark):
 * each layer's router ({@code [experts, dim]} fp32) and its down projection in a layout where an
 * expert's weights are contiguous, chosen by the stored type so that no value changes:
 * <ul>
 *   <li>F16 with an even expert size: the model's own {@code [dim, ffnDim]} matrix, no copy (an
 *       expert's columns are contiguous in every row), read as packed pairs by a row-blocked
 *       kernel;</li>
 *   <li>Q8_0 and Q4_0 with an expert size that is a multiple of 32: the model's own
 *       {@code [dim, ffnDim]} matrix (Q4_0 widened to Q8_0 as DeviceMatrix does) split into quant
 *       words and block scales ({@link Q8_0Split}), where an expert's columns of a row are whole
 *       blocks, read by a row-blocked kernel; for the item-per-row kernels of CPU OpenCL the same
 *       quants transposed and the block scales as fp32 ({@link DownLayout#EXPERT_MAJOR_Q8_0}), so
 *       that an item streams its expert's bytes;</li>
 *   <li>everything else (F32, BF16, other expert sizes): transposed fp32.</li>
 * </ul>
 * Memory: except for F16, one more ffn_down per layer (the item-per-row Q8_0 layout 6% more than
 * its blocks: fp32 scales), owned here and freed by {@link #close()}.
 */
public final class ExpertWeights implements AutoCloseable {

    /** How a layer's down projection is laid out on the device, i.e. which down kernel reads it. */
    public enum DownLayout {
        TRANSPOSED_F32,
        ROWS_F16_PAIRS,
        ROWS_Q8_0_SPLIT,
        /**
         * A Q8_0 down for the item-per-row kernels of CPU OpenCL: the int8 quants transposed,
         * {@code [ffnDim, dim]} (an expert's neurons contiguous), and the block scales as fp32,
         * {@code [ffnDim / 32, dim]}.
         */
        EXPERT_MAJOR_Q8_0
    }

    /**
     * One layer's down projection: the arrays the kernel reads ({@code data}, and for split Q8_0
     * the block scales, else null), and their size in bytes.
     */
    public record Down(DownLayout layout, NativeArray data, NativeArray scales, long bytes) {
        Down(DownLayout layout, NativeArray data, long bytes) {
            this(layout, data, null, bytes);
        }

        /** Every array the kernel reads, for one upload. */
        public NativeArray[] arrays() {
            return scales == null ? new NativeArray[] {data} : new NativeArray[] {data, scales};
        }
    }

    private static final int TILE = 64;

    private final Arena arena = Arena.ofShared();
    private final int expertSize;
    private final int experts;
    private final List<FloatArray> routers;
    private final List<Down> downs;
    /** The decoder's GEMV split, which decides the Q8_0 down's layout. */
    private final DecodeOptions.GemvSplit split;

    private ExpertWeights(LlamaModel model, int expertSize, List<float[]> routerRows, DecodeOptions.GemvSplit split) {
        int hidden = model.config().hiddenDim();
        int dim = model.config().dim();
        if (expertSize <= 0 || hidden % expertSize != 0) {
            throw new IllegalArgumentException("expert size " + expertSize + " does not divide the FFN width " + hidden);
        }
        this.expertSize = expertSize;
        this.experts = hidden / expertSize;
        this.split = split;
        int layers = model.config().nLayers();
        if (routerRows.size() != layers) {
            throw new IllegalArgumentException(routerRows.size() + " routers for " + layers + " layers");
        }
        List<FloatArray> r = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            float[] w = routerRows.get(l);
            if (w.length != (long) experts * dim) {
                throw new IllegalArgumentException("router of layer " + l + " has " + w.length + " weights, expected "
                        + experts + " x " + dim);
            }
            FloatArray a = FloatArray.wrap(arena.allocate(4L * w.length, 64));
            MemorySegment.copy(w, 0, a.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, w.length);
            r.add(a);
        }
        this.routers = List.copyOf(r);
        Down[] d = new Down[layers];
        IntStream.range(0, layers).parallel().forEach(l -> d[l] = down(model.layers().get(l).wDown()));
        this.downs = List.of(d);
    }

    /** The LTE model's routers and expert size, the down laid out for the decoder's GEMV split ({@link DecodeOptions#gemv}). */
    public static ExpertWeights of(LteModel model, DecodeOptions.GemvSplit split) {
        List<float[]> rows = new ArrayList<>();
        for (ExpertRouter router : model.routers()) {
            float[] w = new float[router.experts() * router.dim()];
            for (int e = 0; e < router.experts(); e++) {
                System.arraycopy(router.row(e), 0, w, e * router.dim(), router.dim());
            }
            rows.add(w);
        }
        return new ExpertWeights(model, model.settings().expertSize(), rows, split);
    }

    /**
     * Routers given directly ({@code routerRows.get(l)} is layer l's {@code [experts, dim]}
     * row-major); {@code model}'s FFN neurons must already be grouped into contiguous experts.
     * The down is laid out for the decoder's GEMV split.
     */
    public static ExpertWeights of(LlamaModel model, int expertSize, List<float[]> routerRows, DecodeOptions.GemvSplit split) {
        return new ExpertWeights(model, expertSize, routerRows, split);
    }

    public int expertSize() {
        return expertSize;
    }

    /** Experts per layer. */
    public int experts() {
        return experts;
    }

    /** Layer {@code layer}'s router, fp32 {@code [experts, dim]}. */
    public FloatArray router(int layer) {
        return routers.get(layer);
    }

    public Down down(int layer) {
        return downs.get(layer);
    }

    private Down down(Tensor down) {
        int dim = down.rows();
        int hidden = down.cols();
        GgmlType type = down.type();
        boolean wholeBlocks = expertSize % 32 == 0;
        if ((type == GgmlType.Q8_0 || type == GgmlType.Q4_0) && wholeBlocks) {
            // Q4_0 widened to Q8_0 only while the layout is made: both layouts copy what they keep
            try (Arena widening = Arena.ofConfined()) {
                ByteArray blocks = ByteArray.wrap(type == GgmlType.Q8_0 ? down.segment() : WeightConversion.q4_0ToQ8_0(down, widening));
                if (split == DecodeOptions.GemvSplit.ITEM_PER_ROW) {
                    return expertMajorQ8_0(blocks.segment(), dim, hidden);
                }
                Q8_0Split words = Q8_0Split.of(blocks, dim, hidden, arena);
                return new Down(DownLayout.ROWS_Q8_0_SPLIT, words.quants(), words.scales(), blocks.byteSize());
            }
        }
        if (type == GgmlType.F16 && expertSize % 2 == 0) {
            return new Down(DownLayout.ROWS_F16_PAIRS, IntArray.wrap(down.segment()), down.segment().byteSize());
        }
        MemorySegment rows = type == GgmlType.F32 ? down.segment() : WeightConversion.toF32(down, arena);
        MemorySegment dst = arena.allocate(4L * dim * hidden, 64);
        transpose(rows, dst, dim, hidden, 4);
        return new Down(DownLayout.TRANSPOSED_F32, FloatArray.wrap(dst), dst.byteSize());
    }

    /**
     * A Q8_0 {@code [dim, hidden]} matrix as {@link DownLayout#EXPERT_MAJOR_Q8_0}: quant (r, c) to
     * {@code quants[c][r]}, the scale of block (r, b) to {@code scales[b][r]}, widened exactly.
     */
    private Down expertMajorQ8_0(MemorySegment rows, int dim, int hidden) {
        int blocks = hidden / 32;
        long rowBytes = WeightFormat.Q8_0.rowBytes(hidden);
        MemorySegment quants = arena.allocate((long) hidden * dim, 64);
        MemorySegment scales = arena.allocate(4L * blocks * dim, 64);
        for (int r = 0; r < dim; r++) {
            for (int b = 0; b < blocks; b++) {
                long block = r * rowBytes + b * 34L;
                scales.setAtIndex(ValueLayout.JAVA_FLOAT, (long) b * dim + r,
                        Float.float16ToFloat(rows.get(ValueLayout.JAVA_SHORT_UNALIGNED, block)));
                for (int j = 0; j < 32; j++) {
                    quants.set(ValueLayout.JAVA_BYTE, (long) (b * 32 + j) * dim + r, rows.get(ValueLayout.JAVA_BYTE, block + 2 + j));
                }
            }
        }
        return new Down(DownLayout.EXPERT_MAJOR_Q8_0, ByteArray.wrap(quants), FloatArray.wrap(scales), quants.byteSize() + scales.byteSize());
    }

    /** {@code dst[c][r] = src[r][c]} for elements of {@code bytes} bytes (2 or 4), in cache-sized tiles. */
    static void transpose(MemorySegment src, MemorySegment dst, int rows, int cols, int bytes) {
        for (int r0 = 0; r0 < rows; r0 += TILE) {
            for (int c0 = 0; c0 < cols; c0 += TILE) {
                int r1 = Math.min(r0 + TILE, rows);
                int c1 = Math.min(c0 + TILE, cols);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        long from = ((long) r * cols + c) * bytes;
                        long to = ((long) c * rows + r) * bytes;
                        if (bytes == 2) {
                            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, to, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, from));
                        } else {
                            dst.set(ValueLayout.JAVA_INT_UNALIGNED, to, src.get(ValueLayout.JAVA_INT_UNALIGNED, from));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
