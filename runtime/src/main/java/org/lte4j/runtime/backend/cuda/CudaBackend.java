package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.cuDeviceGet;
import static org.lwjgl.cuda.CU.cuDeviceGetCount;

import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.lte4j.runtime.backend.Backend;
import org.lte4j.runtime.backend.BackendKind;
import org.lwjgl.system.MemoryStack;

/**
 * The CUDA backend: the driver API for devices, memory, streams, events and graphs, and NVRTC to
 * compile generated CUDA C at run time. Devices are {@code cuda:0}, {@code cuda:1}, ... in the
 * driver's order. Construction never throws; when the driver, NVRTC or a device is missing,
 * {@link #unavailableReason()} names the library and the folders searched.
 */
public final class CudaBackend implements Backend, AutoCloseable {

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
    private List<CudaDevice> devices;
    private String unavailable;
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
    public synchronized List<CudaDevice> devices() {
        discover();
        return devices;
    }

    @Override
    public synchronized Optional<String> unavailableReason() {
        discover();
        return Optional.ofNullable(unavailable);
    }

    /** The device {@code cuda:index}. */
    public CudaDevice device(int index) {
        List<CudaDevice> all = devices();
        if (index < 0 || index >= all.size()) {
            throw new IllegalArgumentException("no device cuda:" + index + " ("
                    + (all.isEmpty() ? unavailableReason().orElse("no CUDA devices") : all.size() + " CUDA device(s)") + ")");
        }
        return all.get(index);
    }

    /** Driver and NVRTC versions and library paths, e.g. {@code driver 13.0 (libcuda.so.1), NVRTC 13.0 (...)}; empty when unavailable. */
    public synchronized Optional<String> versions() {
        discover();
        return loaded == null ? Optional.empty() : Optional.of("driver " + loaded.driverVersionText() + " ("
                + loaded.driverLibrary() + "), NVRTC " + loaded.nvrtcVersionText() + " (" + loaded.nvrtcLibrary() + ")");
    }

    /**
     * Entry points LWJGL binds that the loaded driver does not export (none of them used here);
     * for diagnostics when a driver is newer or older than LWJGL expects.
     */
    public synchronized List<String> driverFunctionsMissing() {
        discover();
        return loaded == null ? List.of() : loaded.missingLwjglFunctions();
    }

    /** Releases every device's context, stream, buffers and kernels. */
    @Override
    public synchronized void close() {
        if (devices != null) {
            devices.forEach(CudaDevice::close);
        }
    }

    /**
     * One line per CUDA device for {@code lte4j devices}, or one line saying why there is none.
     * Never throws.
     */
    public static List<String> deviceLines() {
        CudaBackend backend = new CudaBackend(Options.defaults().withCacheDirectory(null));
        List<String> lines = new ArrayList<>();
        for (CudaDevice d : backend.devices()) {
            lines.add(d.describe());
        }
        backend.unavailableReason().ifPresent(r -> lines.add("cuda: unavailable - " + r));
        return lines;
    }

    private void discover() {
        if (devices != null) {
            return;
        }
        devices = List.of();
        CudaLibraries.Outcome outcome = CudaLibraries.load(options);
        if (outcome.failure() != null) {
            unavailable = outcome.failure();
            return;
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
            devices = List.copyOf(found);
            if (devices.isEmpty()) {
                unavailable = "the CUDA driver (" + loaded.driverLibrary() + ") loaded but lists no device";
            }
        } catch (RuntimeException e) {
            unavailable = "CUDA device discovery failed: " + e.getMessage();
        }
    }
}
