package org.lte4j.model.sparse;

import java.nio.file.Path;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.tensor.GgmlType;

/** The tiny Hugging Face reference models of the test resources, as GGUF files, and logit helpers. */
final class TinyModels {
    static final int[] TOKENS = {1, 17, 42, 99, 3, 150, 7, 200};

    private TinyModels() {
    }

    static Path gguf(Path dir, String name, GgmlType type) throws Exception {
        Path folder = Path.of(TinyModels.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
        Path out = dir.resolve(name + "-" + type + ".gguf");
        HfToGguf.convert(folder, out, type);
        return out;
    }

    /** Logits after each of {@link #TOKENS}, run as one sequence. */
    static float[][] logits(LlamaModel m) {
        LlamaState s = m.newState(TOKENS.length);
        float[][] out = new float[TOKENS.length][];
        for (int i = 0; i < TOKENS.length; i++) {
            out[i] = m.forward(s, TOKENS[i]).clone();
        }
        return out;
    }

    static float[][] logits(Path model) throws Exception {
        try (LlamaModel m = LlamaModel.load(model)) {
            return logits(m);
        }
    }

    /** Worst over rows of max |a - b| / max |b|. */
    static double relativeError(float[][] a, float[][] b) {
        double worst = 0;
        for (int r = 0; r < a.length; r++) {
            worst = Math.max(worst, relativeError(a[r], b[r]));
        }
        return worst;
    }

    static double relativeError(float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }
}
