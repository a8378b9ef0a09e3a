package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.backend.cuda.CudaLibraryLocator.Library;

class CudaLibraryLocatorTest {

    @Test
    void prefersTheSonameOfTheDriver(@TempDir Path dir) throws IOException {
        touch(dir, "libcuda.so.580.95.05", "libcuda.so.1", "libcudart.so.13");
        assertEquals(dir.resolve("libcuda.so.1"), CudaLibraryLocator.find(Library.CUDA, List.of(dir)).orElseThrow());
    }

    @Test
    void takesTheMostSpecificVersionWhenTheUnversionedNameIsMissing(@TempDir Path dir) throws IOException {
        touch(dir, "libnvrtc.so.13", "libnvrtc.so.13.0.88", "libnvrtc-builtins.so.13.0", "libnvrtc.alt.so.13");
        assertEquals(dir.resolve("libnvrtc.so.13.0.88"), CudaLibraryLocator.find(Library.NVRTC, List.of(dir)).orElseThrow());
        assertEquals(dir.resolve("libnvrtc-builtins.so.13.0"),
                CudaLibraryLocator.find(Library.NVRTC_BUILTINS, List.of(dir)).orElseThrow());
    }

    @Test
    void searchesFoldersInOrderAndSkipsMissingOnes(@TempDir Path root) throws IOException {
        Path first = Files.createDirectories(root.resolve("a"));
        Path second = Files.createDirectories(root.resolve("b"));
        touch(first, "libnvrtc.so.12");
        touch(second, "libnvrtc.so");
        assertEquals(first.resolve("libnvrtc.so.12"),
                CudaLibraryLocator.find(Library.NVRTC, List.of(root.resolve("missing"), first, second)).orElseThrow());
        assertTrue(CudaLibraryLocator.find(Library.CUDA, List.of(first, second)).isEmpty());
    }

    @Test
    void ordersToolkitsNewestFirst(@TempDir Path root) throws IOException {
        for (String d : List.of("cuda-9.2", "cuda-13.0", "cuda-12.10", "cuda-12.4", "cuda", "cudnn-9.1")) {
            Files.createDirectories(root.resolve(d));
        }
        assertEquals(List.of(root.resolve("cuda-13.0"), root.resolve("cuda-12.10"), root.resolve("cuda-12.4"), root.resolve("cuda-9.2")),
                CudaLibraryLocator.toolkitsNewestFirst(root));
    }

    @Test
    void defaultFoldersIncludeTheContainerDriverAndToolkitFolders() {
        List<String> dirs = CudaLibraryLocator.defaultSearchDirectories().stream().map(Path::toString).toList();
        assertTrue(dirs.contains("/usr/local/nvidia/lib64"), dirs.toString());
        assertTrue(dirs.contains("/usr/local/cuda/lib64"), dirs.toString());
    }

    private static void touch(Path dir, String... names) throws IOException {
        for (String n : names) {
            Files.writeString(dir.resolve(n), "not really a library");
        }
    }
}
