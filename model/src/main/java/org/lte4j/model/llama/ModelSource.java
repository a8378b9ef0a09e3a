package org.lte4j.model.llama;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a model's weights live: the path, its format, its metadata (GGUF key/values, or the
 * parsed config.json), and the resources (mapped files, memory of converted tensors) that the
 * weights point into and that {@link #close} releases.
 */
public final class ModelSource implements AutoCloseable {
    public enum Format { GGUF, HUGGING_FACE }

    private final Path path;
    private final Format format;
    private final Map<String, Object> metadata;
    private final Arena arena = Arena.ofShared();
    private final List<AutoCloseable> resources = new ArrayList<>();

    public ModelSource(Path path, Format format, Map<String, Object> metadata) {
        this.path = path;
        this.format = format;
        this.metadata = metadata;
    }

    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Memory for weights converted at load (permuted or dequantised copies); freed on close. */
    public Arena arena() {
        return arena;
    }

    /** Keeps {@code r} open until this source closes. */
    public <T extends AutoCloseable> T own(T r) {
        resources.add(r);
        return r;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                failure = failure == null ? new IllegalStateException("closing " + path, e) : failure;
            }
        }
        resources.clear();
        arena.close();
        if (failure != null) {
            throw failure;
        }
    }
}
