package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;

/** Softmax over one vector. */
public final class Softmax {
    private Softmax() {
    }

    /**
     * In place: {@code x[i] = exp(x[i] - max) / sum_j exp(x[j] - max)} for {@code i < n}. One
     * work-group finds the max (tree in local memory), writes the exponentials while summing
     * them (a second tree), then divides. Each work-item touches only its own elements, so no
     * global-memory barrier is needed.
     * Grid: exactly one group, L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 12n bytes, writes 8n.
     */
    public static void softmaxInPlace(KernelContext ctx, FloatArray x, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = lid; i < n; i += size) {
            max = Math.max(max, x.get(i));
        }
        max = GroupReduce.max(ctx, scratch, max);
        ctx.localBarrier(); // everyone has read the max before scratch holds sums
        float sum = 0f;
        for (int i = lid; i < n; i += size) {
            float e = (float) Math.exp(x.get(i) - max);
            x.set(i, e);
            sum += e;
        }
        float total = GroupReduce.sum(ctx, scratch, sum);
        for (int i = lid; i < n; i += size) {
            x.set(i, x.get(i) / total);
        }
    }
}
