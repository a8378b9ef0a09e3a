package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;

/** Normalisation layers, one work-group per vector (decode normalises one token at a time). */
public final class Normalization {
    private Normalization() {
    }

    /**
     * RMSNorm: {@code out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]} for {@code i < n}. One
     * work-group sums the squares as a tree in local memory, then every item scales its own
     * elements; {@code out} may be {@code x}.
     * Grid: exactly one group, {@code WorkerGrid.of(L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}. Traffic: reads x twice (8n bytes) and weight (4n), writes 4n.
     */
    public static void rmsNorm(KernelContext ctx, FloatArray x, FloatArray weight, FloatArray out, int n, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float scale = rmsScale(ctx, scratch, x, n, eps);
        for (int i = ctx.localIdx; i < n; i += ctx.localGroupSizeX) {
            out.set(i, x.get(i) * scale * weight.get(i));
        }
    }

    /** {@code 1 / sqrt(mean(x^2) + eps)} over {@code x[0 .. n)}, summed by the whole group (every item gets it). */
    static float rmsScale(KernelContext ctx, float[] scratch, FloatArray x, int n, float eps) {
        float squares = 0f;
        for (int i = ctx.localIdx; i < n; i += ctx.localGroupSizeX) {
            float v = x.get(i);
            squares += v * v;
        }
        float total = GroupReduce.sum(ctx, scratch, squares);
        return 1f / (float) Math.sqrt(total / n + eps);
    }
}
