package org.lte4j.runtime.backend.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiled device code kept in memory and (optionally) on disk, keyed by the kernel's cache key,
 * the architecture, the NVRTC version and the compile options. A damaged or unreadable file is a
 * cache miss, never an error: the kernel is simply compiled again.
 */
final class CudaBinaryCache {
    private final Path directory; // null: memory only
    private final Map<String, NvrtcCompiler.Binary> memory = new ConcurrentHashMap<>();

    CudaBinaryCache(Path directory) {
        this.directory = directory;
    }

    /** The file-name-safe key, e.g. {@code 3fa9...-sm_90-nvrtc13.0}. */
    static String key(String kernelCacheKey, String architecture, String nvrtcVersion, boolean fastMath) {
        String safe = kernelCacheKey.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.length() > 120) {
            safe = sha256(kernelCacheKey);
        }
        return safe + "-" + architecture + "-nvrtc" + nvrtcVersion + (fastMath ? "-fastmath" : "");
    }

    Optional<NvrtcCompiler.Binary> get(String key, String architecture) {
        NvrtcCompiler.Binary hit = memory.get(key);
        if (hit != null || directory == null) {
            return Optional.ofNullable(hit);
        }
        for (boolean cubin : new boolean[] {true, false}) {
            Path file = directory.resolve(key + (cubin ? ".cubin" : ".ptx"));
            try {
                if (Files.isRegularFile(file) && Files.size(file) > 0) {
                    NvrtcCompiler.Binary b = new NvrtcCompiler.Binary(Files.readAllBytes(file), cubin, architecture);
                    memory.put(key, b);
                    return Optional.of(b);
                }
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    void put(String key, NvrtcCompiler.Binary binary) {
        memory.put(key, binary);
        if (directory == null) {
            return;
        }
        try { // write then rename, so that a reader never sees half a file
            Files.createDirectories(directory);
            Path file = directory.resolve(key + (binary.cubin() ? ".cubin" : ".ptx"));
            Path tmp = Files.createTempFile(directory, key, ".part");
            Files.write(tmp, binary.image());
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | SecurityException e) {
            // A read-only or full cache folder costs a recompilation next run, nothing more.
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
