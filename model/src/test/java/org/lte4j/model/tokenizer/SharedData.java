package org.lte4j.model.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;

/** Finds the project's shared text data (../shared/data from the project root) for tests. */
final class SharedData {
    private SharedData() {
    }

    /** The text of a shared data file; skips the calling test, saying why, when it is absent. */
    static String readOrSkip(String name) throws IOException {
        Optional<Path> p = find(name);
        Assumptions.assumeTrue(p.isPresent(), "SKIPPED: shared data file " + name
                + " not found in any <ancestor>/shared/data/ of " + Path.of("").toAbsolutePath());
        return Files.readString(p.get());
    }

    static Optional<Path> find(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("data").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
