package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a machine without a usable CUDA driver sees: construction and discovery never throw, and
 * the reason names the library and where it was looked for. Where a driver and a device are
 * present these cases still hold for the explicit-path variants.
 */
class CudaBackendWithoutDriverTest {

    @Test
    void aMissingExplicitDriverPathIsNamedInTheReason(@TempDir Path dir) {
        Path missing = dir.resolve("libcuda.so.1");
        CudaBackend backend = assertDoesNotThrow(() -> new CudaBackend(CudaBackend.Options.defaults().withCudaLibrary(missing)));
        String reason = backend.unavailableReason().orElseThrow();
        assertTrue(reason.contains(missing.toString()) && reason.contains("does not exist"), reason);
        assertTrue(backend.devices().isEmpty());
        assertTrue(backend.versions().isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.device(0));
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains(missing.toString()), e.getMessage());
        backend.close();
    }

    @Test
    void aMissingExplicitNvrtcPathIsNamedWhenTheDriverWouldLoad(@TempDir Path dir) {
        Path missing = dir.resolve("libnvrtc.so");
        CudaBackend backend = new CudaBackend(CudaBackend.Options.defaults().withNvrtcLibrary(missing));
        String reason = backend.unavailableReason().orElse("");
        // Without a driver the driver is the reason; with one, the NVRTC path must be.
        if (!reason.contains("CUDA driver") && !reason.contains("libcuda")) {
            assertTrue(reason.contains(missing.toString()), reason);
        }
    }

    @Test
    void withoutADriverTheReasonNamesLibcudaAndTheFoldersSearched(@TempDir Path empty) {
        CudaBackend backend = new CudaBackend(CudaBackend.Options.defaults().withSearchDirectories(List.of(empty)));
        if (!backend.devices().isEmpty()) {
            return; // a CUDA machine: the driver came from the system loader; nothing to check here
        }
        String reason = backend.unavailableReason().orElseThrow();
        assertTrue(reason.contains("libcuda") || reason.contains("CUDA driver") || reason.contains("libnvrtc"), reason);
        assertTrue(reason.contains("/"), "the reason should name where it looked: " + reason);
    }

    @Test
    void deviceLinesNeverThrowAndSayWhyThereIsNoDevice() {
        List<String> lines = assertDoesNotThrow(CudaBackend::deviceLines);
        assertTrue(!lines.isEmpty());
        assertTrue(lines.stream().allMatch(l -> l.startsWith("cuda:")), lines.toString());
    }
}
