package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

/** Opens the first OpenCL device (PoCL on the build machines) without a disk cache, or skips saying why. */
final class OpenClTestDevice {
    private OpenClTestDevice() {
    }

    static OpenClBackend backend(Path cacheDirectory) {
        OpenClBackend backend = new OpenClBackend(new OpenClBackend.Options(null, cacheDirectory));
        assumeTrue(!backend.devices().isEmpty(), () -> "no OpenCL device: " + backend.unavailableReason().orElse("?"));
        return backend;
    }

    static OpenClBackend backend() {
        return backend(null);
    }
}
