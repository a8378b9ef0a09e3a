package org.lte4j.model.train;

import java.nio.file.Path;

/** Placeholder until the model helper's GGUF writer lands. */
final class GgufExport {
    private GgufExport() {
    }

    static void write(Path path, LlamaWeights w, TextTokenizer tokenizer) {
        throw new UnsupportedOperationException("GGUF export is not available yet; save to a .ckpt path: " + path);
    }

    static ModelIO.Loaded read(Path path) {
        throw new UnsupportedOperationException("GGUF import is not available yet: " + path);
    }
}
