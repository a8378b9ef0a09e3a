package org.lte4j.runtime.compiler;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where generated kernel source is kept: a memory map (per method, target and specialisation) and,
 * optionally, a directory of {@code <cacheKey>.cl|.cu} files with a {@code .properties} file of
 * metadata beside each. The disk cache is an optimisation: failures to read or write it are ignored
 * and the kernel is compiled again. Backends cache their binaries themselves, under the same key.
 */
public final class KernelCache {
    private static volatile KernelCache defaultCache;

    private final Path directory; // null: memory only
    private final Map<MemoryKey, GeneratedKernel> memory = new ConcurrentHashMap<>();

    record MemoryKey(Method method, Target target, Map<Integer, Object> specialisations) {
    }

    private KernelCache(Path directory) {
        this.directory = directory;
    }

    /** A cache in {@code directory} (created on first write). */
    public static KernelCache inDirectory(Path directory) {
        return new KernelCache(directory);
    }

    /** A cache that never touches the disk. */
    public static KernelCache memoryOnly() {
        return new KernelCache(null);
    }

    /** {@code $XDG_CACHE_HOME/lte4j/kernels}, else {@code ~/.cache/lte4j/kernels}; one per process. */
    public static KernelCache defaultCache() {
        KernelCache c = defaultCache;
        if (c == null) {
            synchronized (KernelCache.class) {
                if (defaultCache == null) {
                    String xdg = System.getenv("XDG_CACHE_HOME");
                    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
                    defaultCache = new KernelCache(base.resolve("lte4j").resolve("kernels"));
                }
                c = defaultCache;
            }
        }
        return c;
    }

    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    GeneratedKernel fromMemory(MemoryKey key) {
        return memory.get(key);
    }

    void toMemory(MemoryKey key, GeneratedKernel kernel) {
        memory.put(key, kernel);
    }

    private static String extension(Target t) {
        return t == Target.OPENCL_C ? ".cl" : ".cu";
    }

    /** The kernel stored under {@code cacheKey}, if the files are there and readable. */
    Optional<GeneratedKernel> fromDisk(String cacheKey, Target target) {
        if (directory == null) {
            return Optional.empty();
        }
        Path meta = directory.resolve(cacheKey + ".properties");
        Path src = directory.resolve(cacheKey + extension(target));
        if (!Files.isRegularFile(meta) || !Files.isRegularFile(src)) {
            return Optional.empty();
        }
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            Properties p = new Properties();
            p.load(r);
            List<ParamKind> params = new ArrayList<>();
            String ps = p.getProperty("params", "");
            for (String s : ps.isEmpty() ? new String[0] : ps.split(",")) {
                params.add(ParamKind.valueOf(s));
            }
            String bound = p.getProperty("loopBoundParam", "");
            return Optional.of(new GeneratedKernel(p.getProperty("entryName"), Files.readString(src, StandardCharsets.UTF_8),
                    Target.valueOf(p.getProperty("target")), List.copyOf(params),
                    bound.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(bound)),
                    Boolean.parseBoolean(p.getProperty("usesContext")), Boolean.parseBoolean(p.getProperty("usesBarrier")),
                    cacheKey));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a damaged entry is recompiled and overwritten
        }
    }

    void toDisk(GeneratedKernel k) {
        if (directory == null) {
            return;
        }
        try {
            Files.createDirectories(directory);
            Properties p = new Properties();
            p.setProperty("entryName", k.entryName());
            p.setProperty("target", k.target().name());
            p.setProperty("params", String.join(",", k.params().stream().map(Enum::name).toList()));
            p.setProperty("loopBoundParam", k.loopBoundParam().isPresent() ? Integer.toString(k.loopBoundParam().getAsInt()) : "");
            p.setProperty("usesContext", Boolean.toString(k.usesContext()));
            p.setProperty("usesBarrier", Boolean.toString(k.usesBarrier()));
            writeAtomically(directory.resolve(k.cacheKey() + extension(k.target())), k.source());
            Path metaTmp = Files.createTempFile(directory, k.cacheKey(), ".tmp");
            try (Writer w = Files.newBufferedWriter(metaTmp, StandardCharsets.UTF_8)) {
                p.store(w, "lte4j generated kernel");
            }
            Files.move(metaTmp, directory.resolve(k.cacheKey() + ".properties"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // the cache is an optimisation; an unwritable directory only costs a recompilation
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
