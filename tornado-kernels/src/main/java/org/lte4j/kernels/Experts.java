package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The LTE sparse FFN at decode (DESIGN.md section 5), over the active experts that
 * {@link Router#compactActiveExperts} listed: {@code activeIds[0 .. activeCount[0])}.
 *
 * <p>Layout: expert e owns neurons {@code e * expertSize .. e * expertSize + expertSize - 1}.
 * The gate and up projections are row-major {@code ffnDim x dim} (a neuron's gate row and up row
 * are rows {@code n} of each, so an expert's rows are contiguous). The down projection is
 * stored transposed, {@code ffnDim x dim}: row n is neuron n's output column, so an expert's
 * columns are {@code expertSize} contiguous rows.
 *
 * <p>Launch grids are fixed, sized for all experts, so a whole token step can be captured once;
 * work for slots at or past the active count is skipped by a uniform early exit.
 *
 * <p>A token's FFN is: {@code gateUpSilu...} (writes {@code hidden[n]} for active neurons only),
 * {@code downPartials...} (one partial output vector per chunk of {@code expertsPerChunk} active
 * experts: split-K), then {@link #accumulateDownPartials} (adds the partials in chunk order).
 * Every sum runs in a fixed order (active experts ascending, neurons ascending, chunks
 * ascending), so the result does not depend on the device or the grid.
 */
public final class Experts {
    private Experts() {
    }

    /**
     * {@code hidden[n] = silu(gate_n . x) * (up_n . x)} for every neuron n of every active expert,
     * fp32 weights. One work-group per (active slot, neuron): items stride over {@code dim}
     * accumulating both dot products, two trees in local memory.
     * Grid: {@code WorkerGrid.of(experts * expertSize * L, L)} for all experts (fewer groups loop),
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 8 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void gateUpSiluActiveF32(KernelContext ctx, FloatArray gateW, FloatArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * As {@link #gateUpSiluActiveF32} with fp16 gate and up weights.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveF16(KernelContext ctx, HalfArray gateW, HalfArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * As {@link #gateUpSiluActiveF32} with GGML Q8_0 gate and up weights: each neuron's row is
     * {@code dim / 32} blocks of 34 bytes ({@code dim} a multiple of 32), rows back to back.
     * Traffic: reads 2 * 34/32 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveQ8_0(KernelContext ctx, ByteArray gateW, ByteArray upW, FloatArray x,
                                            IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                            int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long rowStart = neuron * rowBytes;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                long block = rowStart + (long) (c / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
                long quant = block + 2 + c % MatVec.Q8_0_BLOCK;
                gate += gateW.getHalf(block) * gateW.get(quant) * xc;
                up += upW.getHalf(block) * upW.get(quant) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * Split-K down projection, fp32 weights: for chunk k (active slots
     * {@code k * expertsPerChunk ..}, at most expertsPerChunk of them) and output i,
     * {@code partials[k * dim + i] = sum over the chunk's neurons n of hidden[n] * downT[n * dim + i]}.
     * One work-item per (chunk, i); neighbouring items read neighbouring weights of a row.
     * Grid: 1-D covering {@code ceil(experts / expertsPerChunk) * dim} items (fewer loop);
     * items of chunks past the active count do nothing. {@code partials} holds that many floats.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, writes 4 * chunks * dim.
     */
    public static void downPartialsActiveF32(KernelContext ctx, FloatArray downT, FloatArray hidden,
                                             IntArray activeIds, IntArray activeCount, FloatArray partials,
                                             int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    acc += hidden.get(n) * downT.get((long) n * dim + i);
                }
            }
            partials.set(t, acc);
        }
    }

    /** As {@link #downPartialsActiveF32} with fp16 weights. Traffic: 2 bytes per weight read. */
    public static void downPartialsActiveF16(KernelContext ctx, HalfArray downT, FloatArray hidden,
                                             IntArray activeIds, IntArray activeCount, FloatArray partials,
                                             int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    acc += hidden.get(n) * downT.get((long) n * dim + i);
                }
            }
            partials.set(t, acc);
        }
    }

    /**
     * As {@link #downPartialsActiveF32} with GGML Q8_0 weights: each neuron's row of {@code dim}
     * outputs is {@code dim / 32} blocks of 34 bytes ({@code dim} a multiple of 32).
     * Traffic: 34/32 bytes per weight read.
     */
    public static void downPartialsActiveQ8_0(KernelContext ctx, ByteArray downT, FloatArray hidden,
                                              IntArray activeIds, IntArray activeCount, FloatArray partials,
                                              int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            long inRow = (long) (i / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
            int quantOffset = 2 + i % MatVec.Q8_0_BLOCK;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    long block = n * rowBytes + inRow;
                    acc += hidden.get(n) * (downT.getHalf(block) * downT.get(block + quantOffset));
                }
            }
            partials.set(t, acc);
        }
    }

    /**
     * Finishes the split-K down projection into the residual stream:
     * {@code out[i] += partials[0 * dim + i] + partials[1 * dim + i] + ...} over the
     * {@code ceil(activeCount[0] / expertsPerChunk)} chunks in ascending order (nothing is added
     * when no expert is active; zero {@code out} first for the plain FFN output).
     * Grid: 1-D, any size (one item per output, looping when smaller). Traffic: reads
     * 4 * chunks * dim bytes, reads and writes out.
     */
    public static void accumulateDownPartials(KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                              int dim, int expertsPerChunk) {
        int chunks = (activeCount.get(0) + expertsPerChunk - 1) / expertsPerChunk;
        for (int i = ctx.globalIdx; i < dim; i += ctx.globalGroupSizeX) {
            float sum = 0f;
            for (int k = 0; k < chunks; k++) {
                sum += partials.get((long) k * dim + i);
            }
            out.set(i, out.get(i) + sum);
        }
    }
}
