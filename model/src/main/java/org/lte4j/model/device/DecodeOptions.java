package org.lte4j.model.device;

import org.lte4j.kernels.GroupLimits;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;

/**
 * How a {@link DeviceLlama} runs.
 *
 * @param maxContext KV cache size in tokens (prompt + generated), capped at the model's context
 * @param localSize  work-group size of the row-per-group kernels (GEMV, attention): a power of
 *                   two at most {@link GroupLimits#MAX_LOCAL_SIZE}
 * @param vectorLocalSize work-group size of the kernels that reduce a whole vector in one group
 *                   (RMSNorm, argmax): on a GPU one group of 256 walks a 4096-vector in 16
 *                   dependent steps, so these took 11 us each on the H200; the largest group
 *                   shortens that chain
 * @param capture    record the whole token step once and replay it (CUDA graphs); ignored where
 *                   the device cannot capture
 * @param profiling  record device time of every kernel and transfer
 * @param attention  which decode attention kernel runs
 * @param gemv       how the decode GEMVs spread over the device
 * @param fuseLayerSteps run each fp16 layer as five launches and each Q8_0 layer as six
 *                   ({@link org.lte4j.kernels.FusedMatVec}: RMSNorm, RoPE, the K/V store, SiLU
 *                   and the residual adds folded into the GEMVs, but for the Q8_0 FFN's norm)
 *                   instead of fifteen; layers of other weight formats run separately anyway
 * @param q8_0Input  what the fused Q8_0 layers' GEMVs multiply their weights with
 */
public record DecodeOptions(int maxContext, int localSize, int vectorLocalSize, boolean capture, boolean profiling,
                            AttentionKernel attention, GemvSplit gemv, boolean fuseLayerSteps, Q8_0Input q8_0Input) {

    /** The decode attention kernels of {@link org.lte4j.kernels.Attention}, same contract, different split of the work. */
    public enum AttentionKernel {
        /** {@code attendOneQuery}: an item per position (scores) and per head dimension (values). */
        PER_POSITION_ITEM,
        /** {@code attendOneQueryLanesPerPosition}: 32 lanes per position, values split over positions and dims. */
        LANES_PER_POSITION,
        /**
         * {@code attendOneQuerySplitPositions}: lanes per position, with each head's cached
         * positions split into runs of at least 256, a work-group each, combined by the head's
         * last group, so a long context streams through every SM instead of one per head.
         */
        SPLIT_POSITIONS,
        /** {@code attendOneQueryItemPerHead}: one work-item walks a head, no barriers (CPU OpenCL). */
        ITEM_PER_HEAD
    }

    /** How a GEMV's rows spread over the device: the MatVec variants, same result, different grid. */
    public enum GemvSplit {
        /** Four rows per work-group, the items splitting the columns and reducing in local memory (GPUs). */
        GROUPS_OF_ROWS,
        /** One row per work-item, no barriers ({@code ...RowPerItem}): CPU OpenCL, where barriers split PoCL's loops. */
        ITEM_PER_ROW
    }

    /**
     * The input vector of the split Q8_0 GEMVs of a fused layer ({@link #fuseLayerSteps} on
     * work-group GEMVs): same weights, different arithmetic.
     */
    public enum Q8_0Input {
        /** The float vector: every quant converted and multiplied, the products exact. */
        FLOATS,
        /**
         * The vector quantized to int8 blocks first, as GGML's {@code q8_0 x q8_0} dot does
         * ({@link org.lte4j.kernels.QuantizedInputMatVec}): a word of weights times a word of input
         * is one integer dot of four bytes ({@code __dp4a} on CUDA). Each input moves by at most
         * half its block's step; the dense Q8_0 llama2-7b step ran 19-25% faster so on the H200
         * (docs/PERF.md). Needs work-groups of at least 8 items. The default on CUDA.
         */
        INT8_BLOCKS
    }

    /** Smallest work-group of the four-row GEMVs: their first four items store the four rows. */
    public static final int MIN_GROUPS_OF_ROWS_LOCAL = 4;
    /** Smallest work-group of the int8 quantizations: a block's eight words in one group. */
    public static final int MIN_INT8_BLOCKS_LOCAL = 8;

    public DecodeOptions {
        if (attention == null || gemv == null || q8_0Input == null) {
            throw new IllegalArgumentException("attention kernel, GEMV split and Q8_0 input must be given");
        }
        if (maxContext < 1) {
            throw new IllegalArgumentException("maxContext must be >= 1, was " + maxContext);
        }
        for (int l : new int[] {localSize, vectorLocalSize}) {
            if (!GroupLimits.isValidLocalSize(l)) {
                throw new IllegalArgumentException("work-group sizes must be powers of two in 1.." + GroupLimits.MAX_LOCAL_SIZE + ", was " + l);
            }
        }
        if (gemv == GemvSplit.GROUPS_OF_ROWS && localSize < MIN_GROUPS_OF_ROWS_LOCAL) {
            throw new IllegalArgumentException("the work-group GEMVs need groups of at least " + MIN_GROUPS_OF_ROWS_LOCAL
                    + " items (four rows per group), was " + localSize);
        }
        if (q8_0Input == Q8_0Input.INT8_BLOCKS && Math.min(localSize, vectorLocalSize) < MIN_INT8_BLOCKS_LOCAL) {
            throw new IllegalArgumentException("Q8_0 GEMVs over int8 blocks need work-groups of at least " + MIN_INT8_BLOCKS_LOCAL
                    + " items, were " + localSize + " and " + vectorLocalSize);
        }
    }

    /**
     * Defaults for {@code device}: 256 items per group on GPUs (where the four-row fp16 GEMV
     * reached 0.84 of a device copy on an H200, docs/PERF.md); 16 on
     * OpenCL CPUs, where PoCL runs a group's items as one vectorised loop and pays for every
     * barrier of the reduction tree (llama-110m GEMVs: 16 items twice as fast as 64, measured on
     * PoCL 3.1); 4 on the JVM backend, where every work-item of a barrier kernel is a virtual thread.
     * GPUs and the JVM backend run the work-group GEMVs and fuse fp16 layers; OpenCL CPUs run the
     * barrier-free item-per-row GEMVs and the layer steps apart. CUDA multiplies Q8_0 weights with
     * int8 blocks of the input, other devices with its floats. No capture, no profiling.
     */
    public static DecodeOptions defaults(Device device, int maxContext) {
        int local = switch (device.kind()) {
            case JVM -> 4;
            case OPENCL -> device.isGpu() ? 256 : 16;
            case CUDA -> 256;
        };
        int deviceMax = Integer.highestOneBit(Math.min(device.maxWorkGroupSize(), GroupLimits.MAX_LOCAL_SIZE));
        boolean gpu = local >= 256;
        int vectorLocal = gpu ? deviceMax : Math.min(local, deviceMax); // GPUs: the largest group
        // Lanes per position measured faster on the H200 (0.53 against 0.60 ms/token, llama2-7b,
        // same process), and split over runs of positions it keeps every SM streaming a long
        // context (4000 cached positions: 6.3 against 8.7 ms/token). On CPUs an item per head,
        // barrier-free: PoCL at 1000 cached positions 4.4 against 10.8 ms/token of attention for
        // llama-110m (the work-group kernel's item per position), and faster at position 0 too.
        AttentionKernel attention = gpu ? AttentionKernel.SPLIT_POSITIONS : AttentionKernel.ITEM_PER_HEAD;
        // PoCL runs the barrier-free GEMVs 3-5x faster than the work-group ones (llama-110m shapes,
        // docs/PERF.md); the fused layer kernels are work-group kernels, so CPUs run the steps apart
        boolean cpuOpenCl = device.kind() == BackendKind.OPENCL && !gpu;
        GemvSplit gemv = cpuOpenCl ? GemvSplit.ITEM_PER_ROW : GemvSplit.GROUPS_OF_ROWS;
        // int8 blocks where the integer dot is one instruction (CUDA's __dp4a): on NVIDIA's OpenCL,
        // without it, llama3-1b Q8_0 decoded slower over int8 blocks (2.42 against 2.18 ms/token)
        Q8_0Input q8_0Input = device.kind() == BackendKind.CUDA ? Q8_0Input.INT8_BLOCKS : Q8_0Input.FLOATS;
        return new DecodeOptions(maxContext, Math.min(local, deviceMax), vectorLocal, false, false, attention, gemv, !cpuOpenCl, q8_0Input);
    }

    public DecodeOptions withLocalSize(int local) {
        return new DecodeOptions(maxContext, local, vectorLocalSize, capture, profiling, attention, gemv, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withVectorLocalSize(int local) {
        return new DecodeOptions(maxContext, localSize, local, capture, profiling, attention, gemv, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withCapture(boolean on) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, on, profiling, attention, gemv, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withProfiling(boolean on) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, capture, on, attention, gemv, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withAttention(AttentionKernel kernel) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, capture, profiling, kernel, gemv, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withFusedLayerSteps(boolean on) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, capture, profiling, attention, gemv, on, q8_0Input);
    }

    public DecodeOptions withGemv(GemvSplit split) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, capture, profiling, attention, split, fuseLayerSteps, q8_0Input);
    }

    public DecodeOptions withQ8_0Input(Q8_0Input input) {
        return new DecodeOptions(maxContext, localSize, vectorLocalSize, capture, profiling, attention, gemv, fuseLayerSteps, input);
    }
}
