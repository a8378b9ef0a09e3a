package org.lte4j.runtime.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.compiler.kernels.TestKernels;

/**
 * Each test kernel compiled to OpenCL C, built and run on the first OpenCL device (PoCL), against the
 * same Java method run on the JVM. Launch sizes are smaller than the data where the kernel is a
 * @Parallel loop, so the grid-stride lowering is exercised.
 */
class KernelCompilerOpenClTest {
    private static final Random RANDOM = new Random(42);

    private static GeneratedKernel compile(String name, Map<Integer, Object> specs) {
        return KernelCompiler.compileUncached(Kernels.method(TestKernels.class, name), Target.OPENCL_C, specs);
    }

    private static GeneratedKernel compile(String name) {
        return compile(name, Map.of());
    }

    private static IntArray randomInts(int n, int bound) {
        IntArray a = new IntArray(n);
        for (int i = 0; i < n; i++) a.set(i, bound > 0 ? RANDOM.nextInt(bound) : RANDOM.nextInt());
        return a;
    }

    private static FloatArray randomFloats(int n, float scale) {
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) a.set(i, (RANDOM.nextFloat() * 2 - 1) * scale);
        return a;
    }

    @Test
    void arithmeticMatchesJvm() {
        int n = 1000;
        IntArray in = randomInts(n, 0);
        in.set(0, 0);
        in.set(1, Integer.MAX_VALUE);
        in.set(2, Integer.MIN_VALUE + 1);
        in.set(3, -1);
        in.set(4, 7);
        IntArray iout = new IntArray(8L * n);
        FloatArray fout = new FloatArray(4L * n);
        IntArray iDev = Kernels.copy(iout);
        FloatArray fDev = Kernels.copy(fout);
        TestKernels.arithmetic(in, iout, fout, n, 5, 0x123456789ABCDEFL);
        GeneratedKernel k = compile("arithmetic");
        ClRunner.get().run(k, new Object[]{Kernels.copy(in), iDev, fDev, n, 5, 0x123456789ABCDEFL}, 256, 1, 0, 0);
        assertArrayEquals(Kernels.ints(iout), Kernels.ints(iDev), k.source());
        Kernels.assertClose(Kernels.floats(fout), Kernels.floats(fDev), 0f, 1e-6f, "float results");
        assertTrue(k.source().contains("cl_khr_fp64"), "doubles are used, so fp64 is enabled");
        assertEquals(3, k.loopBoundParam().orElseThrow());
    }

    @Test
    void controlFlowMatchesJvm() {
        int n = 500;
        IntArray in = randomInts(n, 200);
        in.set(0, 3);
        in.set(1, 100);
        in.set(2, 1000);
        FloatArray values = randomFloats(n, 2f);
        values.set(0, Float.NaN);
        values.set(1, 0.5f);
        values.set(2, 1.0f);
        IntArray out = new IntArray(5L * n);
        IntArray dev = Kernels.copy(out);
        TestKernels.controlFlow(in, out, values, n);
        GeneratedKernel k = compile("controlFlow");
        ClRunner.get().run(k, new Object[]{in, dev, values, n}, 64, 1, 0, 0);
        assertArrayEquals(Kernels.ints(out), Kernels.ints(dev), k.source());
        assertFalse(k.source().contains("cl_khr_fp64"), "no doubles, no fp64");
    }

    @Test
    void nestedParallelLoopsUseTwoDimensions() {
        int rows = 37, cols = 29, inner = 13;
        FloatArray a = randomFloats(rows * inner, 1f);
        FloatArray b = randomFloats(inner * cols, 1f);
        FloatArray c = new FloatArray((long) rows * cols);
        FloatArray dev = Kernels.copy(c);
        TestKernels.matmul(a, b, c, rows, cols, inner);
        GeneratedKernel k = compile("matmul");
        assertTrue(k.source().contains("get_global_id(1)") && k.source().contains("get_global_size(1)"), k.source());
        ClRunner.get().run(k, new Object[]{a, b, dev, rows, cols, inner}, 16, 8, 0, 0);
        Kernels.assertClose(Kernels.floats(c), Kernels.floats(dev), 1e-6f, 1e-5f, "matmul");
        assertEquals(3, k.loopBoundParam().orElseThrow());
        assertFalse(k.usesContext());
    }

    @Test
    void stridedParallelLoop() {
        int n = 301;
        FloatArray x = randomFloats(n, 1f);
        FloatArray dev = Kernels.copy(x);
        FloatArray dev2 = Kernels.copy(x);
        FloatArray x2 = Kernels.copy(x);
        TestKernels.strided(x, n, true);
        TestKernels.strided(x2, n, false);
        GeneratedKernel k = compile("strided");
        assertFalse(k.source().contains("AssertionError"), "assert is compiled out");
        ClRunner.get().run(k, new Object[]{dev, n, true}, 32, 1, 0, 0);
        ClRunner.get().run(k, new Object[]{dev2, n, false}, 32, 1, 0, 0);
        assertArrayEquals(Kernels.floats(x), Kernels.floats(dev));
        assertArrayEquals(Kernels.floats(x2), Kernels.floats(dev2));
    }

    @Test
    void helperCallsMatchJvm() {
        int n = 300;
        FloatArray x = randomFloats(n, 5f);
        FloatArray y = new FloatArray(n);
        FloatArray dev = Kernels.copy(y);
        TestKernels.calls(x, y, n);
        GeneratedKernel k = compile("calls");
        assertTrue(k.source().contains("MathHelpers_dot4(") && k.source().contains("MathHelpers_clamp("), k.source());
        ClRunner.get().run(k, new Object[]{x, dev, n}, 64, 1, 0, 0);
        Kernels.assertClose(Kernels.floats(y), Kernels.floats(dev), 1e-5f, 1e-5f, "calls");
    }

    @Test
    void privateArraysMatchJvm() {
        int n = 200;
        IntArray in = randomInts(n, 1000);
        IntArray out = new IntArray(n);
        IntArray dev = Kernels.copy(out);
        TestKernels.privateArrays(in, out, n);
        ClRunner.get().run(compile("privateArrays"), new Object[]{in, dev, n}, 64, 1, 0, 0);
        assertArrayEquals(Kernels.ints(out), Kernels.ints(dev));
    }

    @Test
    void mathMatchesJvm() {
        int n = 256;
        FloatArray x = randomFloats(n, 4f);
        x.set(0, 0f);
        x.set(1, -0f);
        x.set(2, 0.05f);
        x.set(3, -2.5f);
        FloatArray out = new FloatArray(16L * n);
        FloatArray dev = Kernels.copy(out);
        TestKernels.math(x, out, n);
        GeneratedKernel k = compile("math");
        // (float) Math.sqrt((double) a) narrows to the float function; the kept double expression stays double
        assertTrue(k.source().contains("sqrt(a_"), k.source());
        assertTrue(k.source().contains("exp((double)"), k.source());
        ClRunner.get().run(k, new Object[]{x, dev, n}, 64, 1, 0, 0);
        Kernels.assertClose(Kernels.floats(out), Kernels.floats(dev), 2e-6f, 4e-6f, "math");
    }

    @Test
    void packedByteDotsMatchJvm() {
        int n = 1000;
        IntArray a = randomInts(n, 0);
        IntArray b = randomInts(n, 0);
        int[][] extremes = {{0x80808080, 0x80808080}, {0x7f7f7f7f, 0x80808080}, {0xffffffff, 0x01010101}, {0, 0x7f7f7f7f}};
        for (int i = 0; i < extremes.length; i++) {
            a.set(i, extremes[i][0]);
            b.set(i, extremes[i][1]);
        }
        IntArray out = new IntArray(2L * n);
        IntArray dev = Kernels.copy(out);
        TestKernels.packedByteDots(a, b, out, n);
        assertEquals(4 * 128 * 128, out.get(0), "four products of -128 * -128");
        assertEquals(-4 * 127 * 128, out.get(2));
        ClRunner.get().run(compile("packedByteDots"), new Object[]{a, b, dev, n}, 64, 1, 0, 0);
        assertArrayEquals(Kernels.ints(out), Kernels.ints(dev));
    }

    @Test
    void halfConversionsMatchJvm() {
        int n = 300;
        HalfArray h = new HalfArray(n);
        FloatArray f = randomFloats(n, 3f);
        float[] specials = {65504f, 65520f, 1e-8f, 2.9802322e-8f, 6.1e-5f, -0f, Float.POSITIVE_INFINITY, 1.00048828125f, 1.00146484375f, 100000f};
        for (int i = 0; i < specials.length; i++) f.set(i, specials[i]);
        for (int i = 0; i < n; i++) h.set(i, (RANDOM.nextFloat() - 0.5f) * 100f);
        HalfArray hout = new HalfArray(n);
        IntArray bits = new IntArray(4L * n);
        FloatArray fDev = Kernels.copy(f);
        HalfArray hDev = Kernels.copy(hout);
        IntArray bitsDev = Kernels.copy(bits);
        TestKernels.halves(h, f, hout, bits, n);
        ClRunner.get().run(compile("halves"), new Object[]{h, fDev, hDev, bitsDev, n}, 64, 1, 0, 0);
        assertArrayEquals(Kernels.floats(f), Kernels.floats(fDev));
        for (int i = 0; i < n; i++) assertEquals(hout.getRaw(i), hDev.getRaw(i), "half " + i);
        assertArrayEquals(Kernels.ints(bits), Kernels.ints(bitsDev));
    }

    /**
     * The device converts fp16 with its own instruction where it has one (F16C on x86, so on PoCL),
     * not with the JVM's code: every one of the 65536 patterns must still give the JVM's float,
     * except that a signalling NaN may come back quiet (the x86 instruction quiets it).
     */
    @Test
    void everyHalfConvertsAsOnTheJvm() {
        int n = 1 << 16;
        ByteArray bytes = new ByteArray(1 + 2L * n);
        for (int i = 0; i < n; i++) {
            bytes.set(1 + 2L * i, (byte) i);
            bytes.set(2 + 2L * i, (byte) (i >> 8));
        }
        IntArray out = new IntArray(2L * n);
        IntArray dev = Kernels.copy(out);
        TestKernels.everyHalf(bytes, out, n);
        ClRunner.get().run(compile("everyHalf"), new Object[]{bytes, dev, n}, 64, 1, 0, 0);
        for (int i = 0; i < 2 * n; i++) {
            float jvm = Float.intBitsToFloat(out.get(i)), device = Float.intBitsToFloat(dev.get(i));
            if (Float.isNaN(jvm)) {
                assertTrue(Float.isNaN(device), "half 0x" + Integer.toHexString(i / 2) + ": NaN became " + device);
            } else {
                assertEquals(out.get(i), dev.get(i), "half 0x" + Integer.toHexString(i / 2) + (i % 2 == 0 ? "" : " by getHalf"));
            }
        }
    }

    @Test
    void byteBlocksWithUnalignedHalfScalesMatchJvm() {
        int blocks = 50;
        for (int base : new int[]{0, 1}) {
            ByteArray q = new ByteArray(base + 34L * blocks);
            for (int i = 0; i < q.getSize(); i++) q.set(i, (byte) RANDOM.nextInt());
            for (int b = 0; b < blocks; b++) {
                short scale = Float.floatToFloat16(RANDOM.nextFloat() * 0.1f);
                q.set(base + 34L * b, (byte) scale);
                q.set(base + 34L * b + 1, (byte) (scale >> 8));
            }
            FloatArray x = randomFloats(32, 1f);
            FloatArray out = new FloatArray(blocks);
            FloatArray dev = Kernels.copy(out);
            TestKernels.bytes(q, x, out, blocks, base);
            ClRunner.get().run(compile("bytes"), new Object[]{q, x, dev, blocks, base}, 16, 1, 0, 0);
            Kernels.assertClose(Kernels.floats(out), Kernels.floats(dev), 1e-5f, 1e-5f, "base " + base);
        }
    }

    @Test
    void contextKernelWithoutBarriersMatchesPerWorkItemJvmRun() {
        int n = 200, local = 16, global = 208;
        FloatArray x = randomFloats(n, 1f);
        FloatArray y = randomFloats(n, 1f);
        FloatArray dev = Kernels.copy(y);
        for (int g = 0; g < global; g++) {
            TestKernels.contextAxpy(new KernelContext(g, 0, g % local, 0, global, 1, local, 1, null), x, y, 1.5f, n);
        }
        GeneratedKernel k = compile("contextAxpy");
        assertTrue(k.usesContext());
        assertFalse(k.usesBarrier());
        assertEquals(ParamKind.CONTEXT, k.params().getFirst());
        ClRunner.get().run(k, new Object[]{new KernelContext(), x, dev, 1.5f, n}, global, 1, local, 0);
        assertArrayEquals(Kernels.floats(y), Kernels.floats(dev));
    }

    private static float[] groupSums(FloatArray in, int n, int groups, int local) {
        float[] sums = new float[groups];
        for (int i = 0; i < Math.min(n, groups * local); i++) sums[i / local] += in.get(i);
        return sums;
    }

    @Test
    void localMemoryReductionWithBarriers() {
        int n = 1000, local = 64, groups = 16;
        FloatArray in = randomFloats(n, 1f);
        FloatArray partial = new FloatArray(groups);
        GeneratedKernel k = compile("reduceGroups");
        assertTrue(k.usesBarrier() && k.usesContext());
        assertTrue(k.source().contains("__local float local0[64];"), k.source());
        ClRunner.get().run(k, new Object[]{new KernelContext(), in, partial, n}, local * groups, 1, local, 0);
        Kernels.assertClose(groupSums(in, n, groups, local), Kernels.floats(partial), 1e-5f, 1e-5f, "group sums");
    }

    /**
     * A barrier helper called twice becomes two functions and a helper without barriers stays one;
     * the sums match a scalar loop. Without the copies PoCL 3.1 got 24 of these 128 sums wrong.
     */
    @Test
    void barrierHelperCalledTwiceIsCopiedPerCallSite() {
        int n = 1000, local = 64, groups = 16;
        FloatArray in = randomFloats(n, 1f);
        FloatArray sums = new FloatArray(8 * groups);
        GeneratedKernel k = compile("fourSumsTwice");
        assertTrue(k.source().contains("TestKernels_sumFour(") && k.source().contains("TestKernels_sumFour_2("), k.source());
        assertFalse(k.source().contains("TestKernels_sumFour_3("), k.source());
        assertTrue(k.source().contains("TestKernels_valueOrZero("), k.source());
        assertFalse(k.source().contains("TestKernels_valueOrZero_2("), "a helper without barriers is shared: " + k.source());
        ClRunner.get().run(k, new Object[]{new KernelContext(), in, sums, n}, local * groups, 1, local, 0);
        float[] expected = new float[8 * groups];
        for (int i = 0; i < n; i++) {
            int g = i / local;
            float v = in.get(i);
            if (g % 2 == 0) {
                expected[8 * g] += v + 3 * v;
                expected[8 * g + 1] += 2 * v + 4 * v;
            } else {
                expected[8 * g + 4] += v * v;
            }
        }
        Kernels.assertClose(expected, Kernels.floats(sums), 1e-5f, 1e-5f, "four sums, twice");
    }

    @Test
    void specialisedLocalArraySize() {
        int n = 700, local = 32, groups = 22;
        FloatArray in = randomFloats(n, 1f);
        FloatArray partial = new FloatArray(groups);
        GeneratedKernel k = compile("reduceGroupsSized", Map.of(4, 32));
        assertTrue(k.source().contains("__local float local0[32];"), k.source());
        assertEquals(5, k.params().size());
        assertTrue(k.source().contains(", int groupSize_4)"), "a specialised parameter stays in the signature");
        ClRunner.get().run(k, new Object[]{new KernelContext(), in, partial, n, 32}, local * groups, 1, local, 0);
        Kernels.assertClose(groupSums(in, n, groups, local), Kernels.floats(partial), 1e-5f, 1e-5f, "group sums");
    }

    @Test
    void atomicsCountEveryItem() {
        int n = 500, local = 32, global = 512;
        IntArray in = randomInts(n, 100);
        IntArray histogram = new IntArray(16);
        FloatArray total = new FloatArray(1);
        IntArray old = new IntArray(n);
        ClRunner.get().run(compile("atomics"), new Object[]{new KernelContext(), in, histogram, total, old, n}, global, 1, local, 0);
        int[] expected = new int[16];
        float sum = 0;
        for (int i = 0; i < n; i++) {
            expected[in.get(i) & 7]++;
            expected[8 + (in.get(i) & 7)]++;
            sum += in.get(i) * 0.5f;
        }
        assertArrayEquals(expected, Kernels.ints(histogram));
        assertEquals(sum, total.get(0), 0f, "halves of small ints add exactly in any order");
        for (int i = 0; i < n; i++) assertEquals(1, old.get(i));
    }

    @Test
    void aPrefetchedKernelComputesWhatItWouldWithout() {
        int n = 1000, local = 64;
        FloatArray w = new FloatArray(n);
        FloatArray x = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            w.set(i, (i % 23) * 0.5f - 3f);
            x.set(i, (i % 7) * 0.25f + 1f);
        }
        FloatArray y = new FloatArray(n);
        GeneratedKernel k = compile("weightPrefetchedBeforeAwait");
        assertTrue(k.source().contains("prefetch((const __global uchar*) &w_"), k.source());
        ClRunner.get().run(k, new Object[]{new KernelContext(), w, x, y, n}, (n + local - 1) / local * local, 1, local, 0);
        for (int i = 0; i < n; i++) {
            assertEquals(w.get(i) * x.get(i), y.get(i), 0f, "element " + i);
        }
    }

    @Test
    void theLastGroupReadsWhatEveryGroupWroteAfterTheFence() {
        int n = 1000, local = 32, groups = 40;
        FloatArray in = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            in.set(i, (i % 17) * 0.25f);
        }
        FloatArray partial = new FloatArray(groups);
        IntArray ticket = new IntArray(1);
        FloatArray total = new FloatArray(1);
        GeneratedKernel k = compile("sumOfGroupsInLastGroup");
        assertTrue(k.source().contains("mem_fence(CLK_GLOBAL_MEM_FENCE)"), k.source());
        float expected = 0f;
        for (int g = 0; g < groups; g++) {
            float s = 0f;
            for (int i = g * local; i < g * local + local; i++) {
                s += i < n ? in.get(i) : 0f;
            }
            expected += s;
        }
        for (int run = 0; run < 3; run++) { // the last group resets the ticket for the next launch
            total.set(0, -1f);
            ClRunner.get().run(k, new Object[]{new KernelContext(), in, partial, ticket, total, n}, local * groups, 1, local, 0);
            assertEquals(expected, total.get(0), 0f, "run " + run);
            assertEquals(0, ticket.get(0), "ticket reset");
        }
    }
}
