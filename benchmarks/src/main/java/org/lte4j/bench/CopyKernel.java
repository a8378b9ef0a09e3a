package org.lte4j.bench;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/** The yardstick for bandwidth: device copies, read + write of every byte. */
public final class CopyKernel {
    private CopyKernel() {
    }

    /** dst[i] = src[i], one element per loop step; moves 8 bytes per element. */
    public static void copy(FloatArray src, FloatArray dst, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            dst.set(i, src.get(i));
        }
    }

    /**
     * dst[i] = src[i] with four independent loads in flight per work-item (elements i, i+G,
     * i+2G, i+3G for a grid of G items), the way the fastest GEMV reads its weights. n must be a
     * multiple of 4 * G. Grid: 1-D, any local size.
     */
    public static void copyFourInFlight(KernelContext ctx, FloatArray src, FloatArray dst, int n) {
        int g = ctx.globalGroupSizeX;
        for (int i = ctx.globalIdx; i < n; i += 4 * g) {
            float a = src.get(i);
            float b = src.get(i + g);
            float c = src.get(i + 2 * g);
            float d = src.get(i + 3 * g);
            dst.set(i, a);
            dst.set(i + g, b);
            dst.set(i + 2 * g, c);
            dst.set(i + 3 * g, d);
        }
    }
}
