package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_DEVICE_NOT_FOUND;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ALL;
import static org.lwjgl.opencl.CL10.nclGetDeviceIDs;
import static org.lwjgl.opencl.CL10.nclGetPlatformIDs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.DiscoveringBackend;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * The OpenCL backend: every device of every platform the ICD loader lists, in that order
 * ({@code opencl:0}, {@code opencl:1}, ...). The ICD loader itself honours {@code OCL_ICD_VENDORS}.
 * Construction never throws; when OpenCL is missing, {@link #unavailableReason()} says why.
 */
public final class OpenClBackend extends DiscoveringBackend<OpenClDevice> implements AutoCloseable {
    private static final int CL_PLATFORM_NOT_FOUND_KHR = -1001;

    private final Options options;

    /**
     * @param libraryName    the OpenCL library to load (name or path), or null for
     *                       {@code -Dorg.lwjgl.opencl.libname} / LWJGL's defaults then libOpenCL.so.1
     * @param cacheDirectory where compiled program binaries are kept between runs, or null for no
     *                       disk cache
     */
    public record Options(String libraryName, Path cacheDirectory) {
        /** The defaults: library found as LWJGL finds it, binaries under ~/.cache/lte4j/opencl. */
        public static Options defaults() {
            return new Options(null, defaultCacheDirectory());
        }

        public Options withCacheDirectory(Path dir) {
            return new Options(libraryName, dir);
        }
    }

    public OpenClBackend() {
        this(Options.defaults());
    }

    public OpenClBackend(Options options) {
        this.options = options;
    }

    /** {@code ~/.cache/lte4j/opencl}. */
    public static Path defaultCacheDirectory() {
        return Path.of(System.getProperty("user.home"), ".cache", "lte4j", "opencl");
    }

    @Override
    public BackendKind kind() {
        return BackendKind.OPENCL;
    }

    @Override
    protected String displayName() {
        return "OpenCL";
    }

    /** Releases every device's context, queue, buffers and kernels. */
    @Override
    public synchronized void close() {
        devicesIfDiscovered().forEach(OpenClDevice::close);
    }

    /**
     * One line per OpenCL device for {@code lte4j devices}, or one line saying why there is none.
     * Never throws.
     */
    public static List<String> deviceLines() {
        return new OpenClBackend(Options.defaults().withCacheDirectory(null)).describeDevices();
    }

    @Override
    protected Discovery<OpenClDevice> discover() {
        Optional<String> loadFailure = OpenClLibrary.load(options.libraryName());
        if (loadFailure.isPresent()) {
            return Discovery.none(loadFailure.get());
        }
        List<Long> platforms;
        try {
            platforms = platforms();
        } catch (RuntimeException e) {
            return Discovery.none(e.getMessage());
        }
        List<OpenClDevice> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (long platform : platforms) {
            try { // one broken driver must not hide the devices of the others
                for (long device : devicesOf(platform)) {
                    found.add(new OpenClDevice(found.size(), OpenClDeviceInfo.read(platform, device),
                            options.cacheDirectory()));
                }
            } catch (RuntimeException e) {
                problems.add(e.getMessage());
            }
        }
        return new Discovery<>(found, found.isEmpty()
                ? "OpenCL (" + OpenClLibrary.loadedName() + ") loaded, but its " + platforms.size()
                        + " platform(s) list no devices" + (problems.isEmpty() ? "" : ": " + String.join("; ", problems))
                : null);
    }

    private List<Long> platforms() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long countAddr = stack.nmalloc(4, 4);
            int err = nclGetPlatformIDs(0, 0, countAddr);
            if (err == CL_PLATFORM_NOT_FOUND_KHR || err == 0 && MemoryUtil.memGetInt(countAddr) == 0) {
                throw new IllegalStateException("OpenCL (" + OpenClLibrary.loadedName() + ") loaded, but no OpenCL"
                        + " platform is installed: the ICD loader found no driver (.icd files in /etc/OpenCL/vendors"
                        + " or in OCL_ICD_VENDORS). Install one, e.g. apt install pocl-opencl-icd");
            }
            OpenClStatus.check(err, "clGetPlatformIDs", "counting OpenCL platforms");
            int n = MemoryUtil.memGetInt(countAddr);
            long ids = stack.nmalloc(8, 8 * n);
            OpenClStatus.check(nclGetPlatformIDs(n, ids, 0), "clGetPlatformIDs", "listing OpenCL platforms");
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(MemoryUtil.memGetAddress(ids + 8L * i));
            }
            return out;
        }
    }

    private static List<Long> devicesOf(long platform) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long countAddr = stack.nmalloc(4, 4);
            int err = nclGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, 0, countAddr);
            if (err == CL_DEVICE_NOT_FOUND) {
                return List.of();
            }
            OpenClStatus.check(err, "clGetDeviceIDs", "counting the devices of an OpenCL platform");
            int n = MemoryUtil.memGetInt(countAddr);
            long ids = stack.nmalloc(8, 8 * n);
            OpenClStatus.check(nclGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, ids, 0), "clGetDeviceIDs",
                    "listing the devices of an OpenCL platform");
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(MemoryUtil.memGetAddress(ids + 8L * i));
            }
            return out;
        }
    }
}
