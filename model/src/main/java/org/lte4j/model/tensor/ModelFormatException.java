package org.lte4j.model.tensor;

import java.nio.file.Path;

/**
 * A model file or folder that cannot be read: truncated, corrupt, an unsupported type, or a shape
 * that disagrees with the configuration. The message names the file, the tensor or metadata key
 * when there is one, and the byte offset when there is one, so it can be shown to a user as is.
 */
public class ModelFormatException extends RuntimeException {
    private final Path file;
    private final String item;
    private final long offset;

    /**
     * @param file   the file (or folder) being read
     * @param item   a tensor name or metadata key, or null
     * @param offset byte offset in the file, or -1 when not meaningful
     */
    public ModelFormatException(Path file, String item, long offset, String problem) {
        this(file, item, offset, problem, null);
    }

    public ModelFormatException(Path file, String item, long offset, String problem, Throwable cause) {
        super(describe(file, item, offset, problem), cause);
        this.file = file;
        this.item = item;
        this.offset = offset;
    }

    private static String describe(Path file, String item, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unknown file>" : file.toString()).append(": ").append(problem);
        if (item != null || offset >= 0) {
            sb.append(" (");
            if (item != null) {
                sb.append("at '").append(item).append('\'');
            }
            if (offset >= 0) {
                sb.append(item != null ? ", " : "").append("byte offset ").append(offset);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    public Path file() {
        return file;
    }

    /** The tensor name or metadata key, or null. */
    public String item() {
        return item;
    }

    /** The byte offset in {@link #file()}, or -1. */
    public long offset() {
        return offset;
    }
}
