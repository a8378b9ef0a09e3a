package org.lte4j.runtime.backend.opencl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.KernelCompiler;
import org.lte4j.runtime.compiler.Target;

/**
 * Ahead-of-time flow for FPGAs: emit a kernel's OpenCL C as a {@code .cl} file for a vendor's
 * offline compiler, then load the resulting binary with {@link OpenClDevice#loadBinary}.
 */
public final class OpenClAheadOfTime {
    private OpenClAheadOfTime() {
    }

    /** Compiles the Java kernel to OpenCL C and writes it to {@code file}; returns the generated kernel (its interface is needed to load the binary back). */
    public static GeneratedKernel writeSource(Method kernel, Map<Integer, Object> specialisations, Path file) {
        GeneratedKernel g = KernelCompiler.compile(kernel, Target.OPENCL_C, specialisations == null ? Map.of() : specialisations);
        writeSource(g, file);
        return g;
    }

    /** Writes generated OpenCL C to {@code file} (parent folders created). */
    public static Path writeSource(GeneratedKernel generated, Path file) {
        if (generated.target() != Target.OPENCL_C) {
            throw new IllegalArgumentException("kernel " + generated.entryName() + " was generated for "
                    + generated.target() + ", not OpenCL C");
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.writeString(file, generated.source());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write OpenCL source " + file + ": " + e.getMessage(), e);
        }
    }
}
