package org.lte4j.runtime.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lte4j.runtime.compiler.kernels.TestKernels;

/**
 * Every test kernel compiled to CUDA C must be accepted by {@code nvcc -ptx -arch=sm_90} (which,
 * like NVRTC here, gets no include path: the source needs no headers). Skipped, visibly, without nvcc.
 */
class KernelCompilerCudaTest {
    static Stream<String> kernels() {
        return Arrays.stream(TestKernels.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getReturnType() == void.class)
                .map(Method::getName).sorted();
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void compilesWithNvcc(String name) throws Exception {
        Path nvcc = Nvcc.find().orElse(null);
        Assumptions.assumeTrue(nvcc != null, "nvcc not found on PATH or under /usr/local/cuda*: CUDA C not checked");
        Map<Integer, Object> specs = name.equals("reduceGroupsSized") ? Map.of(4, 128) : Map.of();
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, name), Target.CUDA_C, specs);
        String bound = name.equals("doubledInBoundedGroups") ? "__launch_bounds__(256) " : "";
        assertTrue(k.source().contains("extern \"C\" __global__ void " + bound + k.entryName() + "("), k.source());
        assertFalse(k.source().contains("#include"), "NVRTC has no include path");
        String ptx = Nvcc.ptx(nvcc, k);
        assertTrue(ptx.contains(".entry " + k.entryName()), "the entry keeps its C name");
        // Dependent launch: the kernel may be placed while its predecessor runs, so on sm_90 it must
        // wait for that grid before its first load or store of global memory; a kernel that places
        // the wait itself (awaitPrecedingKernel) may load weights before it, and still stores after.
        int waits = ptx.indexOf("griddepcontrol.wait");
        assertTrue(waits >= 0, "every kernel waits for the grid before it:\n" + ptx);
        boolean placesWait = name.equals("weightReadBeforeAwait");
        for (String access : placesWait ? new String[] {"st.global", "atom.global", "red.global"}
                : new String[] {"ld.global", "st.global", "atom.global", "red.global"}) {
            int first = ptx.indexOf(access);
            assertTrue(first < 0 || first > waits, access + " before griddepcontrol.wait:\n" + ptx);
        }
        if (placesWait) {
            int load = ptx.indexOf("ld.global");
            assertTrue(load >= 0 && load < waits, "the weight loads before the wait it placed:\n" + ptx);
            assertEquals(waits, ptx.lastIndexOf("griddepcontrol.wait"), "one wait, where the kernel put it:\n" + ptx);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void openClKernelsHaveNoDependentLaunchWait(String name) {
        Map<Integer, Object> specs = name.equals("reduceGroupsSized") ? Map.of(4, 128) : Map.of();
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, name), Target.OPENCL_C, specs);
        assertFalse(k.source().contains("griddepcontrol"), "an OpenCL queue runs kernels in order: " + k.source());
    }

    @Test
    void maxWorkGroupSizeBoundsTheCudaKernelAndNotTheOpenClOne() throws Exception {
        GeneratedKernel cl = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, "doubledInBoundedGroups"), Target.OPENCL_C, Map.of());
        assertFalse(cl.source().contains("launch_bounds"), cl.source());
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, "doubledInBoundedGroups"), Target.CUDA_C, Map.of());
        assertTrue(k.source().contains("__global__ void __launch_bounds__(256) " + k.entryName() + "("), k.source());
        Path nvcc = Nvcc.find().orElse(null);
        Assumptions.assumeTrue(nvcc != null, "nvcc not found");
        assertTrue(Nvcc.ptx(nvcc, k).contains(".maxntid 256"), "the bound reaches the PTX");
    }

    @Test
    void prefetchIsOneBulkL2PrefetchBeforeTheWaitInPtx() throws Exception {
        Path nvcc = Nvcc.find().orElse(null);
        Assumptions.assumeTrue(nvcc != null, "nvcc not found");
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, "weightPrefetchedBeforeAwait"), Target.CUDA_C, Map.of());
        String ptx = Nvcc.ptx(nvcc, k);
        int prefetch = ptx.indexOf("cp.async.bulk.prefetch.L2.global");
        int waits = ptx.indexOf("griddepcontrol.wait");
        assertTrue(prefetch >= 0 && prefetch < waits, "the bulk prefetch comes before the wait:\n" + ptx);
        assertEquals(prefetch, ptx.lastIndexOf("cp.async.bulk.prefetch.L2.global"), "one prefetch for the group's run:\n" + ptx);
    }

    @Test
    void globalMemoryFenceIsADeviceWideFenceInPtx() throws Exception {
        Path nvcc = Nvcc.find().orElse(null);
        Assumptions.assumeTrue(nvcc != null, "nvcc not found");
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, "sumOfGroupsInLastGroup"), Target.CUDA_C, Map.of());
        assertTrue(k.source().contains("__threadfence()"), k.source());
        String ptx = Nvcc.ptx(nvcc, k);
        int fences = ptx.split("membar\\.gl|fence\\.(sc|acq_rel)\\.gpu", -1).length - 1;
        assertEquals(2, fences, "one fence after the group's writes, one before the last group reads:\n" + ptx);
    }

    @Test
    void packedByteDotIsOneDp4aInPtx() throws Exception {
        GeneratedKernel k = KernelCompiler.compileUncached(Kernels.method(TestKernels.class, "packedByteDots"), Target.CUDA_C, Map.of());
        assertTrue(k.source().contains("__dp4a("), k.source());
        Path nvcc = Nvcc.find().orElse(null);
        Assumptions.assumeTrue(nvcc != null, "nvcc not found");
        String ptx = Nvcc.ptx(nvcc, k);
        assertEquals(2, ptx.split("dp4a\\.s32\\.s32", -1).length - 1, "one dp4a per call:\n" + ptx);
    }
}
