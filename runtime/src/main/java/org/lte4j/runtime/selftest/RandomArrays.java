package org.lte4j.runtime.selftest;

import java.util.SplittableRandom;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;

/** Seeded random inputs for kernel checks and tests. */
public final class RandomArrays {
    private final SplittableRandom random;

    public RandomArrays(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Uniform in [-1, 1). */
    public FloatArray floats(int n) {
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return a;
    }

    /** Uniform in [-1, 1), rounded to fp16. */
    public HalfArray halves(int n) {
        HalfArray a = new HalfArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return a;
    }

    /** Uniform in [0, bound). */
    public IntArray ints(int n, int bound) {
        IntArray a = new IntArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, random.nextInt(bound));
        }
        return a;
    }

    public ByteArray bytes(int n) {
        ByteArray a = new ByteArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (byte) random.nextInt(256));
        }
        return a;
    }

    public float nextFloat() {
        return (float) (random.nextDouble() * 2 - 1);
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
