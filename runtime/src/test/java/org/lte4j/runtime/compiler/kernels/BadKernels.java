package org.lte4j.runtime.compiler.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.MaxWorkGroupSize;
import org.lte4j.runtime.api.Parallel;

/**
 * Kernels the compiler must reject. Each offending line carries a {@code // reject: method} marker
 * so the test can check the line number in the message.
 */
@SuppressWarnings("unused")
public final class BadKernels {
    private BadKernels() {
    }

    static int counter;
    static float scale = 2f;

    public static void allocatesObject(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder(); // reject: allocatesObject
            x.set(i, sb.length());
        }
    }

    public static void usesString(FloatArray x, int n) {
        String s = "hello"; // reject: usesString
        x.set(0, n);
    }

    public static void throwsException(FloatArray x, int n) {
        if (n < 0) {
            throw new IllegalArgumentException(); // reject: throwsException
        }
        x.set(0, n);
    }

    public static void catchesException(FloatArray x, int n) {
        try {
            x.set(0, n);
        } catch (RuntimeException e) { // reject: catchesException
            x.set(1, n);
        }
    }

    public static void callsArrayFill(FloatArray x, int n) {
        x.fill(1f); // reject: callsArrayFill
    }

    public static void callsGetSize(FloatArray x) {
        for (@Parallel int i = 0; i < x.getSize(); i++) { // reject: callsGetSize
            x.set(i, 0f);
        }
    }

    public static void readsStaticField(FloatArray x, int n) {
        x.set(0, scale); // reject: readsStaticField
    }

    public static void writesStaticField(FloatArray x, int n) {
        counter = n; // reject: writesStaticField
    }

    public static synchronized void isSynchronized(FloatArray x, int n) {
        x.set(0, n); // reject: isSynchronized
    }

    public static void usesLambda(FloatArray x, int n) {
        Runnable r = () -> { }; // reject: usesLambda
        x.set(0, n);
    }

    public static void concatenatesStrings(FloatArray x, int n) {
        x.set(0, ("v" + n).length()); // reject: concatenatesStrings
    }

    public static void recurses(IntArray x, int n) {
        x.set(0, factorial(n));
    }

    private static int factorial(int n) {
        return n <= 1 ? 1 : n * factorial(n - 1); // reject: recurses
    }

    public static void awaitsInHelper(KernelContext ctx, FloatArray x, int n) {
        x.set(ctx.globalIdx, weightThenAwait(ctx, x));
    }

    private static float weightThenAwait(KernelContext ctx, FloatArray x) {
        float w = x.get(0);
        ctx.awaitPrecedingKernel(); // reject: awaitsInHelper
        return w;
    }

    public static void multiDimensional(FloatArray x, int n) {
        float[][] m = new float[2][2]; // reject: multiDimensional
        x.set(0, m[1][1]);
    }

    public static void callsSystem(FloatArray x, int n) {
        x.set(0, System.nanoTime()); // reject: callsSystem
    }

    public static void variablePrivateArray(FloatArray x, int n) {
        float[] tmp = new float[n]; // reject: variablePrivateArray
        x.set(0, tmp[0]);
    }

    public static void localArrayWithVariableSize(KernelContext ctx, FloatArray x, int n) {
        float[] tmp = ctx.allocateFloatLocalArray(n); // reject: localArrayWithVariableSize
        x.set(0, tmp[0]);
    }

    public static void heapArrayParameter(float[] x, int n) {
        x[0] = n; // reject: heapArrayParameter
    }

    public static void parallelVariableAssigned(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            x.set(i, 0f);
            i = i + 1; // reject: parallelVariableAssigned
        }
    }

    public static void callsJdkMethod(FloatArray x, int n) {
        x.set(0, Integer.hashCode(n)); // reject: callsJdkMethod
    }

    @MaxWorkGroupSize(0)
    public static void boundsGroupsToNothing(FloatArray x, int n) {
        x.set(0, n); // reject: boundsGroupsToNothing
    }
}
