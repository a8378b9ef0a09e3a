package org.lte4j.runtime.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.compiler.kernels.TestKernels;

/** Memory and disk caching of generated source, cache keys, and the introspection helpers. */
class KernelCacheTest {
    private static final Method REDUCE = Kernels.method(TestKernels.class, "reduceGroupsSized");

    @Test
    void diskCacheRoundTripsEveryField(@TempDir Path dir) throws Exception {
        GeneratedKernel first = KernelCompiler.compile(REDUCE, Target.OPENCL_C, Map.of(4, 64), KernelCache.inDirectory(dir));
        assertTrue(Files.exists(dir.resolve(first.cacheKey() + ".cl")));
        assertTrue(Files.exists(dir.resolve(first.cacheKey() + ".properties")));
        // mark the stored source: a fresh cache on the same directory must return the stored text
        Files.writeString(dir.resolve(first.cacheKey() + ".cl"), first.source() + "// from disk\n");
        GeneratedKernel second = KernelCompiler.compile(REDUCE, Target.OPENCL_C, Map.of(4, 64), KernelCache.inDirectory(dir));
        assertEquals(first.source() + "// from disk\n", second.source());
        assertEquals(new GeneratedKernel(first.entryName(), second.source(), first.target(), first.params(), first.loopBoundParam(),
                first.usesContext(), first.usesBarrier(), first.cacheKey()), second);
    }

    @Test
    void memoryCacheReturnsTheSameObject() {
        KernelCache cache = KernelCache.memoryOnly();
        GeneratedKernel a = KernelCompiler.compile(REDUCE, Target.CUDA_C, Map.of(4, 32), cache);
        assertSame(a, KernelCompiler.compile(REDUCE, Target.CUDA_C, Map.of(4, 32), cache));
        assertTrue(cache.directory().isEmpty());
    }

    @Test
    void keyDependsOnTargetAndSpecialisation() {
        KernelCache cache = KernelCache.memoryOnly();
        String cl64 = KernelCompiler.compile(REDUCE, Target.OPENCL_C, Map.of(4, 64), cache).cacheKey();
        String cl32 = KernelCompiler.compile(REDUCE, Target.OPENCL_C, Map.of(4, 32), cache).cacheKey();
        String cuda64 = KernelCompiler.compile(REDUCE, Target.CUDA_C, Map.of(4, 64), cache).cacheKey();
        assertNotEquals(cl64, cl32);
        assertNotEquals(cl64, cuda64);
        assertEquals(cl64, KernelCompiler.compileUncached(REDUCE, Target.OPENCL_C, Map.of(4, 64)).cacheKey());
    }

    @Test
    void keysCoverTheCompilersOwnClassFiles() {
        // "unknown" would leave the keys to a version string bumped by hand
        assertTrue(CompilerFingerprint.VALUE.matches("[0-9a-f]{16}"), CompilerFingerprint.VALUE);
    }

    @Test
    void specialisationOfTheWrongTypeIsRejected() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(KernelCompilationException.class,
                () -> KernelCompiler.compileUncached(REDUCE, Target.OPENCL_C, Map.of(4, 1.5f)));
        assertTrue(e.getMessage().contains("parameter 4"), e.getMessage());
    }

    @Test
    void introspectionWithoutCompiling() {
        assertTrue(KernelIntrospection.usesBarrier(Kernels.method(TestKernels.class, "reduceGroups")));
        assertTrue(KernelIntrospection.usesBarrier(Kernels.method(TestKernels.class, "atomics")));
        assertFalse(KernelIntrospection.usesBarrier(Kernels.method(TestKernels.class, "contextAxpy")));
        assertFalse(KernelIntrospection.usesBarrier(Kernels.method(TestKernels.class, "calls")));
        assertTrue(KernelIntrospection.usesContext(Kernels.method(TestKernels.class, "contextAxpy")));
        assertEquals("TestKernels::matmul", KernelIntrospection.describe(Kernels.method(TestKernels.class, "matmul")));
    }
}
