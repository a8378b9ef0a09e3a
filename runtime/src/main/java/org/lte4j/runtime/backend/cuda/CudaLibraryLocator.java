package org.lte4j.runtime.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the CUDA driver and NVRTC shared libraries on disk. Pure file-system work, no loading, so
 * that a missing library is a message and never a crash.
 */
final class CudaLibraryLocator {
    /** The driver's soname; the unversioned libcuda.so exists only where the toolkit's dev files are. */
    static final String DRIVER = "libcuda.so.1";

    private static final Pattern TOOLKIT_DIR = Pattern.compile("cuda-(\\d+)\\.(\\d+)");

    private CudaLibraryLocator() {
    }

    /** A library kind: its stem ({@code libnvrtc}) and the file name preferred within one folder. */
    enum Library {
        CUDA("libcuda", DRIVER),
        NVRTC("libnvrtc", "libnvrtc.so"),
        NVRTC_BUILTINS("libnvrtc-builtins", "libnvrtc-builtins.so");

        final Pattern fileName;
        final String preferred;

        Library(String stem, String preferred) {
            this.fileName = Pattern.compile(Pattern.quote(stem) + "\\.so(\\.\\d+)*");
            this.preferred = preferred;
        }
    }

    /**
     * The folders searched by default, in order: the JVM's library path (which holds
     * LD_LIBRARY_PATH), the usual system folders, the NVIDIA container driver folder, then CUDA
     * toolkits, newest first.
     */
    static List<Path> defaultSearchDirectories() {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                dirs.add(Path.of(entry));
            }
        }
        for (String d : List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                "/usr/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/local/cuda/lib64",
                "/usr/local/cuda/targets/x86_64-linux/lib")) {
            dirs.add(Path.of(d));
        }
        for (Path toolkit : toolkitsNewestFirst(Path.of("/usr/local"))) {
            dirs.add(toolkit.resolve("targets/x86_64-linux/lib"));
            dirs.add(toolkit.resolve("lib64"));
        }
        return List.copyOf(dirs);
    }

    /** {@code root/cuda-X.Y} folders, highest version first. */
    static List<Path> toolkitsNewestFirst(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(p -> TOOLKIT_DIR.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt((Path p) -> version(p, 1)).thenComparingInt(p -> version(p, 2)).reversed())
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int version(Path toolkit, int group) {
        Matcher m = TOOLKIT_DIR.matcher(toolkit.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(group)) : -1;
    }

    /**
     * The first folder (in order) that holds the library; within it the preferred name, else the
     * longest versioned name (libnvrtc.so.13.0.88 over libnvrtc.so.13).
     */
    static Optional<Path> find(Library library, List<Path> dirs) {
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            Path preferred = dir.resolve(library.preferred);
            if (Files.isRegularFile(preferred)) { // follows symbolic links
                return Optional.of(preferred);
            }
            List<Path> matches = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> library.fileName.matcher(f.getFileName().toString()).matches())
                        .filter(Files::isRegularFile)
                        .forEach(matches::add);
            } catch (IOException | SecurityException e) {
                continue;
            }
            matches.sort(Comparator.comparingInt((Path p) -> p.getFileName().toString().length())
                    .thenComparing(p -> p.getFileName().toString()).reversed());
            if (!matches.isEmpty()) {
                return Optional.of(matches.getFirst());
            }
        }
        return Optional.empty();
    }
}
