package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.CUDA_ERROR_NO_DEVICE;
import static org.lwjgl.cuda.CU.CUDA_SUCCESS;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.lte4j.runtime.backend.cuda.CudaLibraryLocator.Library;
import org.lwjgl.cuda.CU;
import org.lwjgl.cuda.NVRTC;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;

/**
 * Loads the CUDA driver and NVRTC through LWJGL, once per process: a native library is process-wide
 * state, so this is the one place that holds it. The paths are found by {@link CudaLibraryLocator}
 * (or given explicitly) and written into LWJGL's {@link Configuration} before LWJGL's classes load.
 * Never throws; a failure is a reason that names each library and where it was looked for.
 */
final class CudaLibraries {
    /** The driver entry points this backend calls (LWJGL's names, without the cu prefix). */
    private static final List<String> USED_DRIVER_FUNCTIONS = List.of("Init", "DriverGetVersion", "DeviceGet",
            "DeviceGetCount", "DeviceGetName", "DeviceTotalMem", "DeviceGetAttribute", "DevicePrimaryCtxRetain",
            "DevicePrimaryCtxRelease", "CtxSetCurrent", "StreamCreate", "StreamDestroy", "StreamSynchronize",
            "MemGetInfo", "MemAlloc", "MemFree", "MemcpyHtoDAsync", "MemcpyDtoHAsync", "MemHostRegister",
            "MemHostUnregister", "ModuleLoadData", "ModuleGetFunction", "ModuleUnload", "FuncGetAttribute",
            "LaunchKernel", "EventCreate", "EventRecord", "EventSynchronize", "EventElapsedTime", "EventDestroy",
            "StreamBeginCapture_v2", "StreamEndCapture", "GraphInstantiateWithFlags", "GraphLaunch",
            "GraphExecDestroy", "GraphDestroy", "GetErrorName", "GetErrorString");

    /** What was loaded: the names or paths given to LWJGL, and the versions the libraries report. */
    record Loaded(String driverLibrary, String nvrtcLibrary, int driverVersion, int nvrtcMajor, int nvrtcMinor,
                  List<String> missingLwjglFunctions) {
        String driverVersionText() {
            return driverVersion / 1000 + "." + driverVersion % 1000 / 10;
        }

        String nvrtcVersionText() {
            return nvrtcMajor + "." + nvrtcMinor;
        }
    }

    /**
     * Either what was loaded, or why nothing was (no device counts as a reason too). {@code settled}
     * once LWJGL's classes were touched: their state cannot change afterwards, so the outcome holds
     * for the rest of the process; a failure before that (a given path that does not exist) does not.
     */
    record Outcome(Loaded loaded, String failure, boolean settled) {
    }

    private static Outcome outcome;

    private CudaLibraries() {
    }

    static synchronized Outcome load(CudaBackend.Options options) {
        if (options.cudaLibrary() != null && !Files.isRegularFile(options.cudaLibrary())) {
            return new Outcome(null, "the CUDA driver library given, " + options.cudaLibrary() + ", does not exist", false);
        }
        if (options.nvrtcLibrary() != null && !Files.isRegularFile(options.nvrtcLibrary())) {
            return new Outcome(null, "the NVRTC library given, " + options.nvrtcLibrary() + ", does not exist", false);
        }
        if (outcome != null) {
            return outcome;
        }
        Outcome o = tryLoad(options);
        if (o.settled()) {
            outcome = o;
        }
        return o;
    }

    private static Outcome tryLoad(CudaBackend.Options options) {
        List<Path> dirs = options.searchDirectories();
        String where = dirs.stream().map(Path::toString).collect(Collectors.joining(", "));

        // The driver: an explicit path, else the first one on disk, else the bare soname so that the
        // system loader (ld.so.cache) gets its say.
        String driver;
        if (options.cudaLibrary() != null) {
            if (!Files.isRegularFile(options.cudaLibrary())) {
                return new Outcome(null, "the CUDA driver library given, " + options.cudaLibrary() + ", does not exist", false);
            }
            driver = options.cudaLibrary().toAbsolutePath().toString();
        } else {
            driver = CudaLibraryLocator.find(Library.CUDA, dirs).map(Path::toString).orElse(CudaLibraryLocator.DRIVER);
            if (driver.equals(CudaLibraryLocator.DRIVER) && !systemLoaderOpens(driver)) {
                // Asked first so that LWJGL, which would print its own advice on stderr, is not asked at all.
                return new Outcome(null, CudaLibraryLocator.DRIVER + " (the CUDA driver) was not found in " + where
                        + " nor by the system loader. Install the NVIDIA driver, or give its path"
                        + " (CudaBackend.Options.withCudaLibrary)", false);
            }
        }
        Configuration.CUDA_LIBRARY_NAME.set(driver);

        int driverVersion;
        List<String> missingLwjgl;
        Object previousChecks = Configuration.DISABLE_FUNCTION_CHECKS.get();
        try {
            // LWJGL resolves every driver entry point it binds when the first one is called, and by
            // default fails on any it cannot find. A newer driver may drop long-deprecated ones
            // this backend never calls, so the check is off while they resolve and the ones used
            // are checked below instead.
            Configuration.DISABLE_FUNCTION_CHECKS.set(true);
            int rc = CU.cuInit(0);
            if (rc == CUDA_ERROR_NO_DEVICE) {
                return failed("the CUDA driver (" + driver + ") loaded but reports no CUDA device (CUDA_ERROR_NO_DEVICE)");
            }
            if (rc != CUDA_SUCCESS) {
                return failed("cuInit failed with " + CudaStatus.name(rc) + " (driver " + driver + ")");
            }
            missingLwjgl = missingFunctions();
            List<String> missingUsed = USED_DRIVER_FUNCTIONS.stream().filter(missingLwjgl::contains).toList();
            if (!missingUsed.isEmpty()) {
                return failed("the CUDA driver (" + driver + ") lacks entry points lte4j calls: cu"
                        + String.join(", cu", missingUsed) + " (the driver is too old)");
            }
            try (MemoryStack stack = MemoryStack.stackPush()) {
                var version = stack.mallocInt(1);
                CudaStatus.check(CU.cuDriverGetVersion(version), "cuDriverGetVersion", "reading the driver version");
                driverVersion = version.get(0);
            }
        } catch (Throwable t) { // UnsatisfiedLinkError, ExceptionInInitializerError: reported, never thrown
            String base = driver.equals(CudaLibraryLocator.DRIVER)
                    ? CudaLibraryLocator.DRIVER + " (the CUDA driver) was not found in " + where
                    + " and the system loader could not open it"
                    : "the CUDA driver " + driver + " could not be loaded";
            return failed(base + ": " + describe(t) + ". Install the NVIDIA driver, or give its path"
                    + " (CudaBackend.Options.withCudaLibrary)");
        } finally {
            Configuration.DISABLE_FUNCTION_CHECKS.set(previousChecks == null ? null : (Boolean) previousChecks);
        }

        // NVRTC: LWJGL loads libnvrtc and libnvrtc-builtins together; both get explicit paths
        // because LWJGL's own search looks only in <toolkit>/lib, which CUDA 12/13 installs lack.
        Path nvrtc = options.nvrtcLibrary();
        if (nvrtc == null) {
            Optional<Path> found = CudaLibraryLocator.find(Library.NVRTC, dirs);
            if (found.isEmpty()) {
                return new Outcome(null, "libnvrtc.so (NVRTC, from CUDA 12 or 13) was not found in " + where
                        + ". Install the CUDA toolkit's NVRTC (e.g. the cuda-nvrtc-13-0 package) or give its path"
                        + " (CudaBackend.Options.withNvrtcLibrary)", false);
            }
            nvrtc = found.get();
        } else if (!Files.isRegularFile(nvrtc)) {
            return new Outcome(null, "the NVRTC library given, " + nvrtc + ", does not exist", false);
        }
        List<Path> builtinsDirs = new ArrayList<>();
        builtinsDirs.add(nvrtc.toAbsolutePath().getParent());
        builtinsDirs.addAll(dirs);
        // Only LWJGL insists on opening the builtins library itself; libnvrtc finds its own by
        // soname. When it is not found next to libnvrtc, handing LWJGL libnvrtc again is harmless.
        Path builtins = CudaLibraryLocator.find(Library.NVRTC_BUILTINS, builtinsDirs).orElse(nvrtc);
        Configuration.CUDA_NVRTC_LIBRARY_NAME.set(nvrtc.toAbsolutePath().toString());
        Configuration.CUDA_NVRTC_BUILTINS_LIBRARY_NAME.set(builtins.toAbsolutePath().toString());
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var major = stack.mallocInt(1);
            var minor = stack.mallocInt(1);
            int rc = NVRTC.nvrtcVersion(major, minor);
            if (rc != NVRTC.NVRTC_SUCCESS) {
                return failed("nvrtcVersion failed with code " + rc + " (" + nvrtc + ")");
            }
            return new Outcome(new Loaded(driver, nvrtc.toString(), driverVersion, major.get(0), minor.get(0),
                    missingLwjgl), null, true);
        } catch (Throwable t) {
            return failed("NVRTC " + nvrtc + " could not be loaded: " + describe(t));
        }
    }

    /** Whether dlopen finds {@code name} (LD_LIBRARY_PATH, ld.so.cache); the library is closed again. */
    private static boolean systemLoaderOpens(String name) {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(name, arena);
            return true;
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return false;
        }
    }

    /** LWJGL's driver bindings whose entry point the loaded driver does not export. */
    private static List<String> missingFunctions() throws IllegalAccessException {
        List<String> missing = new ArrayList<>();
        for (var field : CU.Functions.class.getFields()) {
            if (field.getType() == long.class && field.getLong(null) == 0L) {
                missing.add(field.getName());
            }
        }
        return missing;
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == t ? msg : t.getClass().getSimpleName() + ": " + msg;
    }

    private static Outcome failed(String why) {
        return new Outcome(null, why, true);
    }
}
