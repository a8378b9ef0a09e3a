package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.clReleaseProgram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.compiler.GeneratedKernel;

/**
 * One device's built programs: kept in memory for the device's life, and as binaries on disk
 * between runs. Owns every cl_program it hands out and releases them all at once.
 */
final class OpenClProgramCache {
    /** Where a program came from; tests use it to see that the caches work. */
    enum Origin { MEMORY_CACHE, DISK_CACHE, SOURCE, BINARY_FILE }

    /** Build options for every program; part of the cache key. */
    private static final String BUILD_OPTIONS = "";

    private final OpenClDeviceInfo info;
    private final OpenClBinaryCache disk;
    private final Map<String, Long> programs = new HashMap<>();
    private final List<Long> loaded = new ArrayList<>();
    private Origin lastOrigin;

    OpenClProgramCache(OpenClDeviceInfo info, Path cacheDirectory) {
        this.info = info;
        this.disk = new OpenClBinaryCache(cacheDirectory);
    }

    /** The built program for {@code g}: from memory, else from a cached binary, else from source (then cached both ways). */
    long program(long context, GeneratedKernel g, String what) {
        String key = key(g);
        Long program = programs.get(key);
        if (program != null) {
            lastOrigin = Origin.MEMORY_CACHE;
            return program;
        }
        long built = build(context, g, key, what);
        programs.put(key, built);
        return built;
    }

    /** A program from a binary file made offline; not cached (the file is the cache). */
    long loadBinary(long context, Path binaryFile, String what) {
        byte[] binary;
        try {
            binary = Files.readAllBytes(binaryFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the OpenCL program binary " + binaryFile + ": " + e.getMessage(), e);
        }
        long program = OpenClPrograms.fromBinary(context, info.deviceId(), binary, BUILD_OPTIONS, what);
        loaded.add(program);
        lastOrigin = Origin.BINARY_FILE;
        return program;
    }

    Origin lastOrigin() {
        return lastOrigin;
    }

    void releaseAll() {
        programs.values().forEach(p -> clReleaseProgram(p));
        programs.clear();
        loaded.forEach(p -> clReleaseProgram(p));
        loaded.clear();
    }

    private long build(long context, GeneratedKernel g, String key, String what) {
        Path file = null;
        if (disk.enabled()) {
            file = disk.fileFor(g.entryName(), key, BUILD_OPTIONS, info);
            byte[] cached = disk.read(file).orElse(null);
            if (cached != null) {
                try {
                    long program = OpenClPrograms.fromBinary(context, info.deviceId(), cached, BUILD_OPTIONS, what);
                    lastOrigin = Origin.DISK_CACHE;
                    return program;
                } catch (BackendException corrupt) {
                    disk.delete(file); // a damaged or foreign binary: rebuild from source
                }
            }
        }
        long program = OpenClPrograms.fromSource(context, info.deviceId(), g.source(), BUILD_OPTIONS, what);
        lastOrigin = Origin.SOURCE;
        if (file != null) {
            disk.write(file, OpenClPrograms.binaryOf(program, what));
        }
        return program;
    }

    /**
     * The compiler's cache key plus a hash of the source itself, so that a compiler change that
     * alters the code for the same bytecode never meets a stale program.
     */
    private static String key(GeneratedKernel g) {
        return g.entryName() + "\n" + g.cacheKey() + "\n" + OpenClBinaryCache.sha256(g.source());
    }
}
