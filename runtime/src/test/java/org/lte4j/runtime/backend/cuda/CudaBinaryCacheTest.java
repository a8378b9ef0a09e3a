package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaBinaryCacheTest {

    @Test
    void keysAreFileNameSafeAndSeparateArchitectureVersionAndOptions() {
        String k = CudaBinaryCache.key("a/b:c", "sm_90", "13.0", false);
        assertEquals("a_b_c-sm_90-nvrtc13.0", k);
        assertNotEquals(k, CudaBinaryCache.key("a/b:c", "sm_80", "13.0", false));
        assertNotEquals(k, CudaBinaryCache.key("a/b:c", "sm_90", "12.8", false));
        assertNotEquals(k, CudaBinaryCache.key("a/b:c", "sm_90", "13.0", true));
        assertTrue(CudaBinaryCache.key("x".repeat(500), "sm_90", "13.0", false).length() < 120);
    }

    @Test
    void aBinaryWrittenByOneRunIsReadByTheNext(@TempDir Path dir) {
        byte[] image = {1, 2, 3, 4};
        new CudaBinaryCache(dir).put("k-sm_90", new NvrtcCompiler.Binary(image, true, "sm_90"));
        NvrtcCompiler.Binary b = new CudaBinaryCache(dir).get("k-sm_90", "sm_90").orElseThrow();
        assertArrayEquals(image, b.image());
        assertTrue(b.cubin());
        assertTrue(Files.isRegularFile(dir.resolve("k-sm_90.cubin")));
    }

    @Test
    void anEmptyFileIsAMiss(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("k.ptx"), new byte[0]);
        assertFalse(new CudaBinaryCache(dir).get("k", "compute_90").isPresent());
    }

    @Test
    void anUnwritableFolderOnlyLosesTheDiskCopy(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        CudaBinaryCache cache = new CudaBinaryCache(file);
        cache.put("k", new NvrtcCompiler.Binary(new byte[] {9}, false, "compute_90"));
        assertArrayEquals(new byte[] {9}, cache.get("k", "compute_90").orElseThrow().image());
    }
}
