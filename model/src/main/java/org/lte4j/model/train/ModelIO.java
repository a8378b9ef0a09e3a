package org.lte4j.model.train;

import java.nio.file.Path;

/**
 * Reads and writes finished models: GGUF for {@code .gguf} paths, otherwise lte4j checkpoints.
 */
public final class ModelIO {
    /** A model with its tokenizer. */
    public record Loaded(LlamaWeights weights, TextTokenizer tokenizer) {
    }

    private ModelIO() {
    }

    public static boolean isGguf(Path p) {
        return p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf");
    }

    public static void save(Path path, LlamaWeights w, TextTokenizer tokenizer) {
        if (isGguf(path)) {
            GgufExport.write(path, w, tokenizer);
        } else {
            Checkpoint.save(path, w, tokenizerName(tokenizer), 0, null);
        }
    }

    public static Loaded load(Path path) {
        if (!java.nio.file.Files.isRegularFile(path)) throw new IllegalArgumentException("no model file " + path);
        if (Checkpoint.isCheckpoint(path)) {
            Checkpoint.State s = Checkpoint.load(path);
            return new Loaded(s.weights(), tokenizerByName(s.tokenizer(), path));
        }
        return GgufExport.read(path);
    }

    static String tokenizerName(TextTokenizer t) {
        if (t instanceof ByteTokenizer) return "bytes";
        return "bpe"; // rebuilt from the training text on resume; finished BPE models are GGUF
    }

    static TextTokenizer tokenizerByName(String name, Path file) {
        if (name.equals("bytes")) return new ByteTokenizer();
        if (name.equals("bpe")) {
            throw new IllegalArgumentException(file + " is a resume checkpoint of a BPE model; use the exported .gguf");
        }
        throw new IllegalArgumentException(file + ": unknown tokenizer '" + name + "'");
    }
}
