package org.lte4j.bench;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.Parallel;

/** The yardstick for bandwidth: a device copy, read + write of every byte. */
public final class CopyKernel {
    private CopyKernel() {
    }

    /** dst[i] = src[i]; moves 8 bytes per element. */
    public static void copy(FloatArray src, FloatArray dst, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            dst.set(i, src.get(i));
        }
    }
}
