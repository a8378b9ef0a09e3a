package org.lte4j.model.sparse;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.train.ProgressListener;

class LteModelTest {
    private static final int SIZE = 32;

    @TempDir
    Path dir;

    private Path lteFile(String name, GgmlType type) throws Exception {
        Path out = dir.resolve(name + "-" + type + "-lte.gguf");
        Moefy.run(TinyModels.gguf(dir, name, type), out, SIZE, 9, ProgressListener.SILENT);
        return out;
    }

    /** Router rows that put the gate of expert e at sigmoid(+-4) for input x: on exactly for e in active. */
    private static ExpertRouter routerFor(float[] x, int experts, int[] active) {
        double sq = 0;
        for (float v : x) {
            sq += v * v;
        }
        float[] w = new float[experts * x.length];
        for (int e = 0; e < experts; e++) {
            boolean on = false;
            for (int a : active) {
                on |= a == e;
            }
            for (int i = 0; i < x.length; i++) {
                w[e * x.length + i] = (float) ((on ? 4 : -4) * x[i] / sq);
            }
        }
        return new ExpertRouter(w, experts, x.length);
    }

    /** The dense SwiGLU FFN in double, with the neurons of experts outside {@code active} zeroed. */
    private static double[] referenceFfn(LayerWeights w, float[] x, int[] active) {
        float[] gate = w.wGate().toFloats(), up = w.wUp().toFloats(), down = w.wDown().toFloats();
        int hidden = w.wGate().rows(), dim = x.length;
        double[] h = new double[hidden];
        for (int e : active) {
            for (int j = e * SIZE; j < (e + 1) * SIZE; j++) {
                double g = 0, u = 0;
                for (int i = 0; i < dim; i++) {
                    g += (double) gate[j * dim + i] * x[i];
                    u += (double) up[j * dim + i] * x[i];
                }
                h[j] = g / (1 + Math.exp(-g)) * u;
            }
        }
        double[] out = new double[dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < hidden; j++) {
                out[i] += down[i * hidden + j] * h[j];
            }
        }
        return out;
    }

    /**
     * The sparse FFN is the dense FFN with the inactive experts' neurons zeroed, at sparsities from
     * 0 to 1, to float rounding in every storage type (the regrouped down copy holds the same
     * blocks). Measured sparsity is the skipped share.
     */
    @ParameterizedTest
    @CsvSource({"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void sparseFfnIsTheDenseFfnWithInactiveExpertsZeroed(GgmlType type) throws Exception {
        double tolerance = 1e-5;
        int[][] activeSets = {{}, {2}, {0, 3}, {1, 2, 4}, {0, 1, 3, 4}, {0, 1, 2, 3, 4}};
        try (LlamaModel base = LlamaModel.load(lteFile("llama_gqa", type))) {
            int dim = base.config().dim(), layers = base.config().nLayers();
            SplittableRandom rnd = new SplittableRandom(5);
            for (int[] active : activeSets) {
                float[] x = new float[dim];
                for (int i = 0; i < dim; i++) {
                    x[i] = (float) (rnd.nextGaussian() * 1.5);
                }
                ExpertRouter router = routerFor(x, 5, active);
                LteModel lte = new LteModel(base, new LteSettings(SIZE, 0.5f), Collections.nCopies(layers, router));
                for (int l = 0; l < layers; l++) {
                    assertArrayEquals(active, lte.activeExperts(l, x));
                    float[] sparse = lte.ffn(l, x);
                    double[] ref = referenceFfn(base.layers().get(l), x, active);
                    double diff = 0, scale = 1e-30;
                    for (int i = 0; i < dim; i++) {
                        diff = Math.max(diff, Math.abs(sparse[i] - ref[i]));
                        scale = Math.max(scale, Math.abs(ref[i]));
                    }
                    if (active.length == 0) {
                        assertArrayEquals(new float[dim], sparse, 0f);
                    } else {
                        assertTrue(diff / scale < tolerance, type + " experts " + java.util.Arrays.toString(active)
                                + " layer " + l + ": " + diff / scale);
                    }
                    assertEquals((5 - active.length) * SIZE, lte.recorder().skippedNeurons(0, l));
                    assertEquals((5 - active.length) / 5.0, lte.recorder().sparsity(0, l), 1e-12);
                }
                assertEquals(1, lte.recorder().tokens());
            }
        }
    }

    /** With threshold 0 every expert is active and the model computes the dense model's logits. */
    @Test
    void thresholdZeroRunsTheDenseModel() throws Exception {
        Path file = lteFile("llama_gqa", GgmlType.F32);
        try (LteModel loaded = LteModel.load(file); LlamaModel dense = LlamaModel.load(file)) {
            LteModel all = new LteModel(loaded, new LteSettings(SIZE, 0f), loaded.routers());
            double err = TinyModels.relativeError(TinyModels.logits(all), TinyModels.logits(dense));
            assertTrue(err < 1e-5, "all experts vs dense: " + err);
            SparsityRecorder r = all.recorder();
            assertEquals(TinyModels.TOKENS.length, r.tokens());
            assertEquals(0.0, r.overallSparsity());
        }
    }

    /** A model whose recorder is checked against the router decisions, recomputed from the inputs it saw. */
    private static final class Checked extends LteModel {
        final List<float[]> inputs = new ArrayList<>();
        final List<Integer> layersSeen = new ArrayList<>();

        Checked(LteModel m) {
            super(m, m.settings(), m.routers());
        }

        @Override
        public float[] ffn(int layer, float[] x) {
            inputs.add(x.clone());
            layersSeen.add(layer);
            return super.ffn(layer, x);
        }
    }

    @Test
    void measuredSparsityIsTheShareOfExpertsTheRoutersTurnOff() throws Exception {
        try (LteModel loaded = LteModel.load(lteFile("mistral_mqa", GgmlType.F32))) {
            Checked m = new Checked(loaded);
            float[][] sparse = TinyModels.logits(m);
            int layers = m.config().nLayers(), dim = m.config().dim();
            SparsityRecorder r = m.recorder();
            assertEquals(TinyModels.TOKENS.length, r.tokens());
            long skippedTotal = 0;
            for (int call = 0; call < m.inputs.size(); call++) {
                int layer = m.layersSeen.get(call), token = call / layers;
                float[] x = m.inputs.get(call);
                int off = 0;
                for (int e = 0; e < m.experts(); e++) {
                    float[] row = m.routers().get(layer).row(e);
                    double z = 0;
                    for (int i = 0; i < dim; i++) {
                        z += (double) row[i] * x[i];
                    }
                    if (!(1 / (1 + Math.exp(-z)) > 0.5)) {
                        off++;
                    }
                }
                assertEquals(off * SIZE, r.skippedNeurons(token, layer), "token " + token + " layer " + layer);
                skippedTotal += off * SIZE;
            }
            double overall = (double) skippedTotal / (m.inputs.size() * (long) m.config().hiddenDim());
            assertEquals(overall, r.overallSparsity(), 1e-12);
            assertTrue(overall > 0.1 && overall < 0.9, "moefy's routers skip about half: " + overall);
            // skipping changes the output: the sparse model is not the dense one
            try (LlamaModel dense = LlamaModel.load(loaded.source().path())) {
                assertTrue(TinyModels.relativeError(sparse, TinyModels.logits(dense)) > 1e-3);
            }
        }
    }

    /**
     * A prompt of three batches (the last partial): each token is routed as token by token routes
     * it, the logits after the prompt are the token-by-token ones up to the order of the FFN's
     * sums, and the recorder holds the same sparsity row per token.
     */
    @ParameterizedTest
    @CsvSource({"F32", "Q8_0"})
    void batchedPromptEqualsTokenByToken(GgmlType type) throws Exception {
        Path file = lteFile("llama_gqa", type);
        try (LteModel batched = LteModel.load(file); LteModel single = LteModel.load(file)) {
            int[] prompt = new int[2 * LlamaModel.PREFILL_BATCH + 5];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 53 + 5) % batched.config().vocabSize();
            }
            float[] expected = single.prefill(single.newState(64), prompt, 1).clone();
            float[] actual = batched.prefill(batched.newState(64), prompt).clone();
            double err = TinyModels.relativeError(actual, expected);
            assertTrue(err < 1e-5, type + ": relative error " + err);
            SparsityRecorder a = batched.recorder();
            SparsityRecorder b = single.recorder();
            assertEquals(prompt.length, a.tokens());
            assertEquals(b.tokens(), a.tokens());
            for (int t = 0; t < prompt.length; t++) {
                for (int l = 0; l < a.layers(); l++) {
                    assertEquals(b.skippedNeurons(t, l), a.skippedNeurons(t, l), "token " + t + " layer " + l);
                }
            }
            assertTrue(a.overallSparsity() > 0.1, "experts are skipped, so the mask is exercised: " + a.overallSparsity());
        }
    }

    @Test
    void denseFileIsNotAnLteModel() throws Exception {
        Path plain = TinyModels.gguf(dir, "llama_gqa", GgmlType.F32);
        var e = assertThrows(ModelFormatException.class, () -> LteModel.load(plain));
        assertTrue(e.getMessage().contains("not an LTE model") && e.getMessage().contains("--dense"), e.getMessage());
        assertEquals(LteGguf.EXPERT_SIZE, e.item());
    }

    /** Rewrites an LTE file with one router replaced (or dropped when {@code shape} is null). */
    private Path withRouter(Path lte, String name, long[] shape, Object expertSize) throws Exception {
        Path out = dir.resolve("broken.gguf");
        try (GgufFile g = GgufFile.open(lte)) {
            GgufWriter w = new GgufWriter().putAll(g);
            if (expertSize != null) {
                w.put(LteGguf.EXPERT_SIZE, GgufValueType.UINT32, expertSize);
            }
            for (GgufTensorInfo t : g.tensorInfos()) {
                if (!t.name().equals(name)) {
                    w.addTensor(g.tensor(t.name()));
                } else if (shape != null) {
                    w.addTensor(name, GgmlType.F32, shape, new float[(int) (shape[0] * shape[1])]);
                }
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void badRoutersAreErrorsNamingTheTensor() throws Exception {
        Path lte = lteFile("llama_gqa", GgmlType.F32);
        String name = LteGguf.routerName(1);
        var wrong = assertThrows(ModelFormatException.class,
                () -> LteModel.load(withRouter(lte, name, new long[]{4, 64}, null)));
        assertEquals(name, wrong.item());
        assertTrue(wrong.getMessage().contains(name) && wrong.getMessage().contains("[5, 64]"), wrong.getMessage());
        var missing = assertThrows(ModelFormatException.class, () -> LteModel.load(withRouter(lte, name, null, null)));
        assertEquals(name, missing.item());
        var size = assertThrows(ModelFormatException.class, () -> LteModel.load(withRouter(lte, "none", null, 48)));
        assertEquals(LteGguf.EXPERT_SIZE, size.item());
        assertTrue(size.getMessage().contains("160"), size.getMessage());
    }
}
