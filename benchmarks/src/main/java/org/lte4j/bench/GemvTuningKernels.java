package org.lte4j.bench;

import org.lte4j.kernels.MatVec;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/** Candidate GEMV shapes measured by {@link GemvTuning} before one is promoted to MatVec. */
public final class GemvTuningKernels {
    private GemvTuningKernels() {
    }

    /** As MatVec.gemvF16Pairs but with eight word loads in flight per work-item. */
    public static void gemvF16PairsEightLoads(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(1024);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 2;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * words;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + 7 * size < words; j += 8 * size) {
                int a = w.get(base + j);
                int b = w.get(base + j + size);
                int c = w.get(base + j + 2 * size);
                int d = w.get(base + j + 3 * size);
                int e = w.get(base + j + 4 * size);
                int f = w.get(base + j + 5 * size);
                int g = w.get(base + j + 6 * size);
                int h = w.get(base + j + 7 * size);
                s0 += MatVec.dotHalfPair(a, x, 2 * j) + MatVec.dotHalfPair(e, x, 2 * (j + 4 * size));
                s1 += MatVec.dotHalfPair(b, x, 2 * (j + size)) + MatVec.dotHalfPair(f, x, 2 * (j + 5 * size));
                s2 += MatVec.dotHalfPair(c, x, 2 * (j + 2 * size)) + MatVec.dotHalfPair(g, x, 2 * (j + 6 * size));
                s3 += MatVec.dotHalfPair(d, x, 2 * (j + 3 * size)) + MatVec.dotHalfPair(h, x, 2 * (j + 7 * size));
            }
            for (; j < words; j += size) {
                s0 += MatVec.dotHalfPair(w.get(base + j), x, 2 * j);
            }
            scratch[lid] = (s0 + s1) + (s2 + s3);
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                y.set(row, scratch[0]);
            }
            ctx.localBarrier();
        }
    }
}
