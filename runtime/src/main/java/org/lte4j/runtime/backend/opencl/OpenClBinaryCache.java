package org.lte4j.runtime.backend.opencl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Program binaries on disk, one file per (kernel cache key, build options, device, driver). A
 * driver update changes the key, so a stale binary is never offered to a new driver. The cache
 * is an optimisation: unreadable or unwritable files are ignored, never fatal.
 */
final class OpenClBinaryCache {
    private final Path directory; // null: disabled

    OpenClBinaryCache(Path directory) {
        this.directory = directory;
    }

    boolean enabled() {
        return directory != null;
    }

    /** The file that holds (or would hold) this program's binary. */
    Path fileFor(String entryName, String cacheKey, String buildOptions, OpenClDeviceInfo device) {
        String key = String.join("\n", cacheKey, buildOptions, device.name(), device.platformName(),
                device.platformVersion(), device.version(), device.driverVersion());
        return directory.resolve(safe(entryName) + "-" + sha256(key).substring(0, 32) + ".bin");
    }

    Optional<byte[]> read(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes through a temporary file and a rename, so that a concurrent reader never sees half a binary. */
    void write(Path file, byte[] binary) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.write(tmp, binary);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // a read-only or full cache directory only costs a rebuild next time
        }
    }

    void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // as above
        }
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
