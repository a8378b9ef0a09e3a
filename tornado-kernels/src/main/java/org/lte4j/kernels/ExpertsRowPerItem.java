package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.Parallel;

/**
 * The LTE sparse FFN's expert kernels for CPU OpenCL: one work-item per row, no barriers and no
 * local memory, as the dense CPU decode's GEMVs ({@code MatVec.gemv...RowPerItem}), whose row
 * dots they share. On PoCL every barrier of the work-group kernels of {@link Experts} splits the
 * group's work-item loop, and there the sparse FFN took twice the dense FFN's time at half the
 * bytes (docs/PERF.md). A token's sparse FFN on a CPU is: the router as an item-per-row GEMV
 * over the experts ({@link MatVec#gemvF32RowPerItem}), the active list in one item
 * ({@link Router#compactActiveExpertsInOneItem}), the gate/up over the list (fp32 and fp16 in one
 * kernel; Q8_0 as two products and their SwiGLU), then the down over the list, written or added
 * into the residual stream (fp32 and Q8_0 from an expert-major copy in two launches; fp16 over
 * the model's own rows).
 *
 * <p>Weights are the model's own matrices in the layouts the dense item-per-row GEMVs read (fp32,
 * fp16 packed two per 32-bit word, GGML's interleaved Q8_0 blocks), except the fp32 and Q8_0
 * downs, read from expert-major copies. Gate and up are {@code [ffnDim, dim]}, an expert's neurons
 * {@code expertSize} consecutive rows; the down is {@code [dim, ffnDim]}, an expert's columns
 * {@code expertSize} consecutive elements of every row. Each sum runs in a fixed order (active
 * experts ascending, neurons ascending, columns in the row dot's lanes), so the result does not
 * depend on the grid.
 */
public final class ExpertsRowPerItem {
    private ExpertsRowPerItem() {
    }

    /**
     * {@code hidden[n] = silu(gate_n . x) * (up_n . x)} for every neuron n of the active experts
     * (fp32 weights), an item per neuron of the list: item i works on neuron
     * {@code i % expertSize} of the expert in slot {@code i / expertSize}; items past
     * {@code count * expertSize} do nothing, and neurons of inactive experts are not written.
     * PoCL compiles a kernel with two row dots, or a dot and {@code exp}, to scalar code (no
     * vector instruction in its object code); for fp32 that costs nothing (a gate and an up GEMV
     * took the same time as this one kernel, docs/PERF.md), so it saves two launches.
     * Grid: any 1-D (the loop covers {@code neurons}, all experts' neurons).
     * Traffic: reads 8 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void gateUpSiluActiveF32(FloatArray gateW, FloatArray upW, FloatArray x, IntArray activeIds, IntArray activeCount,
                                           FloatArray hidden, int dim, int expertSize, int neurons) {
        for (@Parallel int i = 0; i < neurons; i++) {
            if (i < activeCount.get(0) * expertSize) {
                int n = Experts.listedIndex(activeIds, i, expertSize);
                long row = (long) n * dim;
                hidden.set(n, Activations.silu(MatVec.rowDotF32(gateW, row, x, 0, dim)) * MatVec.rowDotF32(upW, row, x, 0, dim));
            }
        }
    }

    /** {@link #gateUpSiluActiveF32} for fp16 weights packed two per word ({@code dim} even). Traffic: 4 * count * expertSize * dim bytes. */
    public static void gateUpSiluActiveF16Pairs(IntArray gateW, IntArray upW, FloatArray x, IntArray activeIds, IntArray activeCount,
                                                FloatArray hidden, int dim, int expertSize, int neurons) {
        for (@Parallel int i = 0; i < neurons; i++) {
            if (i < activeCount.get(0) * expertSize) {
                int n = Experts.listedIndex(activeIds, i, expertSize);
                long row = (long) n * (dim / 2);
                hidden.set(n, Activations.silu(MatVec.rowDotF16Pairs(gateW, row, x, 0, dim)) * MatVec.rowDotF16Pairs(upW, row, x, 0, dim));
            }
        }
    }

    /**
     * {@code out[n] = w_n . x} for every neuron n of the active experts, rows of GGML Q8_0 blocks
     * ({@code dim} a multiple of 32), listed as in {@link #gateUpSiluActiveF32}: the Q8_0 gate and
     * up run as two such launches and {@link #siluOfGateTimesUpActive} joins them, because the
     * one-kernel form compiles to scalar code on PoCL, where turning bytes into floats is the
     * cost (a dense Q8_0 gate/up in one item ran 3x slower than its two products, docs/PERF.md).
     * Traffic: reads 34/32 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void rowsActiveQ8_0(ByteArray w, FloatArray x, IntArray activeIds, IntArray activeCount, FloatArray out, int dim,
                                      int expertSize, int neurons) {
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (@Parallel int i = 0; i < neurons; i++) {
            if (i < activeCount.get(0) * expertSize) {
                int n = Experts.listedIndex(activeIds, i, expertSize);
                out.set(n, MatVec.rowDotQ8_0(w, n * rowBytes, x, 0, dim));
            }
        }
    }

    /**
     * {@code hidden[n] = silu(hidden[n]) * up[n]} for the neurons of the active experts, where
     * {@code hidden} holds the gate products and {@code up} the up products ({@link #rowsActiveQ8_0}). Grid: any 1-D
     * (the loop covers {@code neurons}). Traffic: 12 * count * expertSize bytes.
     */
    public static void siluOfGateTimesUpActive(FloatArray hidden, FloatArray up, IntArray activeIds, IntArray activeCount,
                                               int expertSize, int neurons) {
        for (@Parallel int i = 0; i < neurons; i++) {
            if (i < activeCount.get(0) * expertSize) {
                int n = Experts.listedIndex(activeIds, i, expertSize);
                hidden.set(n, Activations.silu(hidden.get(n)) * up.get(n));
            }
        }
    }

    /**
     * The fp32 down projection, first half: {@code partials[a * dim + i] = sum over the neurons n
     * of the expert in slot a of downT[n][i] * hidden[n]}, from the expert-major copy of the down
     * ({@code downT} is {@code [ffnDim, dim]}, so an expert's {@code expertSize} rows are one
     * contiguous run), an item per active slot, neuron by neuron in ascending order, each
     * neuron's row an axpy over all outputs that the C compiler vectorises;
     * {@link #sumPartialsOfExperts} adds the slots. Each item reads one contiguous stream of its
     * expert's weights: on PoCL (llama-110m, 50% sparsity) this down took 1.3-1.6 ms/token
     * against 3.3 for walking the active experts' 128-byte pieces of each row of the model's own
     * matrix (slower than the dense down's 2.3, which reads every piece: the CPU's prefetchers do
     * not follow runs with gaps), and splitting each slot's outputs over two items (runs with
     * gaps again) measured no faster than the row walk (docs/PERF.md).
     * Grid: any 1-D (the loop covers {@code experts}); items past the active count do nothing.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, writes 4 * count * dim (from cache).
     */
    public static void downPartialsOfExpertsF32(FloatArray downT, FloatArray hidden, IntArray activeIds, IntArray activeCount,
                                                FloatArray partials, int dim, int expertSize, int experts) {
        for (@Parallel int a = 0; a < experts; a++) {
            if (a < activeCount.get(0)) { // the first neuron writes the slot's partials, the others add
                long p = (long) a * dim;
                int n0 = activeIds.get(a) * expertSize;
                float h0 = hidden.get(n0);
                for (int i = 0; i < dim; i++) {
                    partials.set(p + i, downT.get((long) n0 * dim + i) * h0);
                }
                for (int n = n0 + 1; n < n0 + expertSize; n++) {
                    float h = hidden.get(n);
                    long row = (long) n * dim;
                    for (int i = 0; i < dim; i++) {
                        partials.set(p + i, partials.get(p + i) + downT.get(row + i) * h);
                    }
                }
            }
        }
    }

    /**
     * {@link #downPartialsOfExpertsF32} for Q8_0 weights, {@code expertSize} a multiple of 32:
     * {@code partials[a * dim + i] = sum over the neurons n of the expert in slot a of
     * (quants[n][i] * scales[block of n][i]) * hidden[n]}, from an expert-major copy of the
     * down's Q8_0 blocks: {@code quants} is {@code [ffnDim, dim]} int8 (the model's quants,
     * transposed), {@code scales} {@code [experts, expertSize / 32, dim]} fp32 (the model's fp16
     * block scales, exactly), so each product is the model's dequantized weight times the hidden
     * value. An item per active slot streams its expert's bytes neuron by neuron, each neuron an
     * axpy over all outputs, as in the fp32 kernel. PoCL 3.1 compiles that axpy to scalar code
     * (an int8 source stops its vectoriser, where the fp32 axpy is vectorised), yet on llama-110m
     * it took 0.42-0.46 ms/token at 80% sparsity and 0.99-1.03 at 50%, where walking the active
     * pieces of the model's own rows took 1.0-1.3 at both (runs with gaps, which the CPU's
     * prefetchers do not follow); an item per output of a slot, and quants read four to a word,
     * ran slower (docs/PERF.md).
     * Grid: any 1-D (the loop covers {@code experts}); items past the active count do nothing.
     * Traffic: reads (1 + 4/32) * count * expertSize * dim bytes of weights, writes 4 * count * dim (from cache).
     */
    public static void downPartialsOfExpertsQ8_0(ByteArray quants, FloatArray scales, FloatArray hidden, IntArray activeIds,
                                                 IntArray activeCount, FloatArray partials, int dim, int expertSize, int experts) {
        for (@Parallel int a = 0; a < experts; a++) {
            if (a < activeCount.get(0)) {
                long p = (long) a * dim;
                int e = activeIds.get(a);
                for (int i = 0; i < dim; i++) {
                    partials.set(p + i, 0f);
                }
                for (int j = 0; j < expertSize; j++) {
                    int n = e * expertSize + j;
                    float h = hidden.get(n);
                    long row = (long) n * dim;
                    long scaleRow = (long) (n / MatVec.Q8_0_BLOCK) * dim;
                    for (int i = 0; i < dim; i++) {
                        partials.set(p + i, partials.get(p + i) + quants.get(row + i) * scales.get(scaleRow + i) * h);
                    }
                }
            }
        }
    }

    /**
     * The second half of {@link #downPartialsOfExpertsF32}: {@code out[i] = sum over the active
     * slots a of partials[a * dim + i]} in ascending slot order, or {@code out[i] +=} that sum
     * when {@code adding} (the residual add folded in). Grid: any 1-D (the loop covers
     * {@code dim}). Traffic: reads 4 * count * dim (from cache), writes 4 * dim.
     */
    public static void sumPartialsOfExperts(FloatArray partials, IntArray activeCount, FloatArray out, boolean adding, int dim) {
        for (@Parallel int i = 0; i < dim; i++) {
            int count = activeCount.get(0);
            float sum = 0f;
            for (int a = 0; a < count; a++) {
                sum += partials.get((long) a * dim + i);
            }
            writeOrAdd(out, i, sum, adding);
        }
    }

    /**
     * {@code out[r] = sum over active experts e of down[r, e's columns] . hidden[e's neurons]}
     * for fp16 weights packed two per word ({@code ffnDim} and {@code expertSize} even), or
     * {@code out[r] +=} that sum when {@code adding} (the residual add folded in): an item per
     * output row, walking the active experts' pieces of its row of the model's own
     * {@code [dim, ffnDim]} matrix in ascending order ({@link MatVec#rowDotF16Pairs} per piece).
     * The pieces are runs with gaps, which a CPU's prefetchers do not follow (see
     * {@link #downPartialsOfExpertsF32}), but an expert-major fp16 copy would double the down's
     * memory. Grid: any 1-D (the loop covers {@code rows}).
     * Traffic: reads 2 * rows * count * expertSize bytes of weights, writes 4 * rows.
     */
    public static void downActiveF16Pairs(IntArray down, FloatArray hidden, IntArray activeIds, IntArray activeCount, FloatArray out,
                                          boolean adding, int rows, int ffnDim, int expertSize) {
        for (@Parallel int r = 0; r < rows; r++) {
            long row = (long) r * (ffnDim / 2);
            int count = activeCount.get(0);
            float sum = 0f;
            for (int a = 0; a < count; a++) {
                int first = activeIds.get(a) * expertSize;
                sum += MatVec.rowDotF16Pairs(down, row + first / 2, hidden, first, expertSize);
            }
            writeOrAdd(out, r, sum, adding);
        }
    }

    /** {@code out[r] = sum}, or {@code out[r] += sum} when {@code adding}. */
    static void writeOrAdd(FloatArray out, int r, float sum, boolean adding) {
        if (adding) {
            out.set(r, out.get(r) + sum);
        } else {
            out.set(r, sum);
        }
    }
}
