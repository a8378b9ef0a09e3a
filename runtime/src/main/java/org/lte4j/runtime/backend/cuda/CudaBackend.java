package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.cuDeviceGet;
import static org.lwjgl.cuda.CU.cuDeviceGetCount;

import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.DiscoveringBackend;
import org.lwjgl.system.MemoryStack;

/**
 * The CUDA backend: the driver API for devices, memory, streams, events and graphs, and NVRTC to
 * compile generated CUDA C at run time. Devices are {@code cuda:0}, {@code cuda:1}, ... in the
 * driver's order. Construction never throws; when the driver, NVRTC or a device is missing,
 * {@link #unavailableReason()} names the library and the folders searched.
 */
public final class CudaBackend extends DiscoveringBackend<CudaDevice> implements AutoCloseable {

    /**
     * Where the native libraries are and how kernels are built.
     *
     * @param cudaLibrary       the driver library ({@code libcuda.so.1}) to load, or null to search
     *                          {@code searchDirectories} and then the system loader
     * @param nvrtcLibrary      {@code libnvrtc.so*} to load, or null to search {@code searchDirectories}
     * @param searchDirectories folders searched for both libraries, in order
     * @param cacheDirectory    where compiled kernels (CUBIN or PTX) are kept between runs, or null
     *                          for no disk cache
     * @param fastMath          compile with {@code --use_fast_math} (approximate division, sqrt,
     *                          exp; flush denormals to zero)
     */
    public record Options(Path cudaLibrary, Path nvrtcLibrary, List<Path> searchDirectories, Path cacheDirectory,
                          boolean fastMath) {
        public Options {
            searchDirectories = List.copyOf(Objects.requireNonNull(searchDirectories, "searchDirectories"));
        }

        /**
         * Searches the JVM library path (LD_LIBRARY_PATH), the system folders,
         * {@code /usr/local/nvidia/lib64}, {@code /usr/local/cuda/lib64} and
         * {@code /usr/local/cuda-X.Y/targets/x86_64-linux/lib} (newest first); caches kernels under
         * {@code ~/.cache/lte4j/cuda}; exact math.
         */
        public static Options defaults() {
            return new Options(null, null, CudaLibraryLocator.defaultSearchDirectories(), defaultCacheDirectory(), false);
        }

        public Options withCudaLibrary(Path path) {
            return new Options(path, nvrtcLibrary, searchDirectories, cacheDirectory, fastMath);
        }

        public Options withNvrtcLibrary(Path path) {
            return new Options(cudaLibrary, path, searchDirectories, cacheDirectory, fastMath);
        }

        public Options withSearchDirectories(List<Path> dirs) {
            return new Options(cudaLibrary, nvrtcLibrary, dirs, cacheDirectory, fastMath);
        }

        /** Null turns the disk cache off. */
        public Options withCacheDirectory(Path dir) {
            return new Options(cudaLibrary, nvrtcLibrary, searchDirectories, dir, fastMath);
        }

        public Options withFastMath(boolean on) {
            return new Options(cudaLibrary, nvrtcLibrary, searchDirectories, cacheDirectory, on);
        }
    }

    private final Options options;
    private CudaLibraries.Loaded loaded;

    public CudaBackend() {
        this(Options.defaults());
    }

    public CudaBackend(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** {@code ~/.cache/lte4j/cuda}. */
    public static Path defaultCacheDirectory() {
        return Path.of(System.getProperty("user.home"), ".cache", "lte4j", "cuda");
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    @Override
    protected String displayName() {
        return "CUDA";
    }

    /** Driver and NVRTC versions and library paths, e.g. {@code driver 13.0 (libcuda.so.1), NVRTC 13.0 (...)}; empty when unavailable. */
    public synchronized Optional<String> versions() {
        discoverOnce();
        return loaded == null ? Optional.empty() : Optional.of("driver " + loaded.driverVersionText() + " ("
                + loaded.driverLibrary() + "), NVRTC " + loaded.nvrtcVersionText() + " (" + loaded.nvrtcLibrary() + ")");
    }

    /**
     * Entry points LWJGL binds that the loaded driver does not export (none of them used here);
     * for diagnostics when a driver is newer or older than LWJGL expects.
     */
    public synchronized List<String> driverFunctionsMissing() {
        discoverOnce();
        return loaded == null ? List.of() : loaded.missingLwjglFunctions();
    }

    /** Releases every device's context, stream, buffers and kernels. */
    @Override
    public synchronized void close() {
        devicesIfDiscovered().forEach(CudaDevice::close);
    }

    /**
     * One line per CUDA device for {@code lte4j devices}, or one line saying why there is none.
     * Never throws.
     */
    public static List<String> deviceLines() {
        return new CudaBackend(Options.defaults().withCacheDirectory(null)).describeDevices();
    }

    @Override
    protected Discovery<CudaDevice> discover() {
        CudaLibraries.Outcome outcome = CudaLibraries.load(options);
        if (outcome.failure() != null) {
            return Discovery.none(outcome.failure());
        }
        loaded = outcome.loaded();
        try {
            NvrtcCompiler nvrtc = NvrtcCompiler.create(loaded.nvrtcMajor(), loaded.nvrtcMinor());
            CudaBinaryCache cache = new CudaBinaryCache(options.cacheDirectory());
            List<CudaDevice> found = new ArrayList<>();
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer count = stack.mallocInt(1);
                CudaStatus.check(cuDeviceGetCount(count), "cuDeviceGetCount", "counting CUDA devices");
                for (int i = 0; i < count.get(0); i++) {
                    IntBuffer ordinal = stack.mallocInt(1);
                    CudaStatus.check(cuDeviceGet(ordinal, i), "cuDeviceGet", "opening CUDA device " + i);
                    found.add(new CudaDevice(i, CudaDeviceInfo.read(ordinal.get(0), loaded), nvrtc, cache,
                            options.fastMath()));
                }
            }
            return new Discovery<>(found, found.isEmpty()
                    ? "the CUDA driver (" + loaded.driverLibrary() + ") loaded but lists no device" : null);
        } catch (RuntimeException e) {
            return Discovery.none("CUDA device discovery failed: " + e.getMessage());
        }
    }
}
