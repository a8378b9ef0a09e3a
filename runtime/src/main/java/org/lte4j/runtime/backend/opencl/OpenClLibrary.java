package org.lte4j.runtime.backend.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.lwjgl.opencl.CL;
import org.lwjgl.system.Configuration;

/**
 * Loads the OpenCL ICD loader through LWJGL, once per process (a native library is process-wide
 * state, so this is the one place that holds it). Never throws: a failure becomes a reason that
 * names the library names tried and how to install one.
 */
final class OpenClLibrary {
    /** LWJGL's own default on Linux ("OpenCL" maps to libOpenCL.so), then the runtime-only soname. */
    private static final List<String> DEFAULT_NAMES = List.of("OpenCL", "libOpenCL.so.1");

    private static final String INSTALL_HINT = "Install an OpenCL ICD loader and a driver"
            + " (Debian/Ubuntu: apt install ocl-icd-libopencl1 pocl-opencl-icd; NVIDIA drivers ship libnvidia-opencl.so.1),"
            + " pass the library's name or path as -Dorg.lwjgl.opencl.libname=libOpenCL.so.1,"
            + " or set OCL_ICD_VENDORS to a folder of .icd files";

    private static boolean attempted;
    private static String loadedName;
    private static String failure;

    private OpenClLibrary() {
    }

    /**
     * Makes the OpenCL entry points usable.
     *
     * @param explicitName a library name or path to load, or null for LWJGL's configured name
     *                     ({@code org.lwjgl.opencl.libname}) or its defaults
     * @return empty when loaded, else why not
     */
    static synchronized Optional<String> load(String explicitName) {
        if (attempted) {
            return Optional.ofNullable(failure);
        }
        attempted = true;
        // Keep LWJGL's CL class from loading the library in its static initialiser, where a
        // missing library would surface as an ExceptionInInitializerError instead of a reason.
        Configuration.OPENCL_EXPLICIT_INIT.set(true);
        List<String> names = new ArrayList<>();
        if (explicitName != null) {
            names.add(explicitName);
        } else {
            String configured = Configuration.OPENCL_LIBRARY_NAME.get();
            if (configured != null) {
                names.add(configured);
            } else {
                names.addAll(DEFAULT_NAMES);
            }
        }
        List<String> errors = new ArrayList<>();
        for (String name : names) {
            try {
                if ("OpenCL".equals(name)) {
                    CL.create();
                } else {
                    CL.create(name);
                }
                loadedName = name;
                return Optional.empty();
            } catch (IllegalStateException alreadyCreated) {
                if (String.valueOf(alreadyCreated.getMessage()).contains("already been created")) {
                    loadedName = name;
                    return Optional.empty();
                }
                errors.add(name + ": " + alreadyCreated.getMessage());
            } catch (Throwable t) { // UnsatisfiedLinkError and friends: reported, never thrown
                errors.add(name + ": " + t.getMessage());
            }
        }
        failure = "OpenCL library not found: tried " + String.join(", ", names.stream()
                .map(n -> "OpenCL".equals(n) ? "OpenCL (libOpenCL.so)" : n).toList())
                + " [" + String.join("; ", errors) + "]. " + INSTALL_HINT + ".";
        return Optional.of(failure);
    }

    /** The name that loaded, or null. */
    static synchronized String loadedName() {
        return loadedName;
    }
}
