package org.lte4j.model.sparse;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Memory for tensors waiting to be written, backed by a temporary file next to the output
 * (deleted on close), so that a model's permuted FFN tensors can page out instead of all having
 * to fit in RAM until the GGUF writer runs.
 */
final class ScratchFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final Arena arena = Arena.ofShared();
    private long end;

    ScratchFile(Path nextTo) throws IOException {
        Path dir = nextTo.toAbsolutePath().getParent();
        this.path = Files.createTempFile(dir, "." + nextTo.getFileName() + ".", ".scratch");
        this.channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
    }

    /** A fresh zeroed segment of {@code bytes}, mapped from the file. */
    MemorySegment allocate(long bytes) throws IOException {
        long at = end;
        end += (bytes + 63) & ~63L;
        return channel.map(FileChannel.MapMode.READ_WRITE, at, Math.max(1, bytes), arena).asSlice(0, bytes);
    }

    @Override
    public void close() throws IOException {
        arena.close();
        channel.close();
        Files.deleteIfExists(path);
    }
}
