package org.lte4j.runtime.compiler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Compiles generated CUDA C with {@code nvcc -ptx -arch=sm_90}, when nvcc is installed. */
final class Nvcc {
    private Nvcc() {
    }

    /** nvcc on the PATH, else the newest /usr/local/cuda* installation. */
    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nvcc");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        try (var dirs = Files.list(Path.of("/usr/local"))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("cuda")).sorted(java.util.Comparator.reverseOrder())
                    .map(d -> d.resolve("bin/nvcc")).filter(Files::isExecutable).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Compiles the source to PTX; fails the test with nvcc's output and the source if it does not compile. */
    static String ptx(Path nvcc, GeneratedKernel k) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("lte4j-nvcc");
        Path cu = dir.resolve(k.entryName() + ".cu");
        Path ptx = dir.resolve(k.entryName() + ".ptx");
        Files.writeString(cu, k.source());
        Process p = new ProcessBuilder(List.of(nvcc.toString(), "-ptx", "-arch=sm_90", "-o", ptx.toString(), cu.toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("nvcc timed out");
        }
        assertEquals(0, p.exitValue(), () -> "nvcc failed:\n" + out + "\n--- source ---\n" + k.source());
        return Files.readString(ptx);
    }
}
