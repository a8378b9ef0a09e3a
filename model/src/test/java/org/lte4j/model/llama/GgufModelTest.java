package org.lte4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.tensor.GgmlType;

/**
 * The same model through GGUF and through safetensors: converted to a GGUF laid out as
 * llama.cpp's converter does (q/k permuted for llama, rotate-half kept for qwen2, Llama-3 scaling
 * as rope_freqs), the GGUF path reproduces the transformers reference too.
 */
class GgufModelTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa", "llama3_scaled_tied", "qwen2_bias", "mistral_mqa"})
    void f32GgufGivesTheSameLogitsAsSafetensors(String name) throws Exception {
        Path gguf = dir.resolve(name + ".gguf");
        HfToGguf.convert(HfReferenceTest.folder(name), gguf, GgmlType.F32);
        try (LlamaModel fromGguf = LlamaModel.load(gguf); LlamaModel fromHf = LlamaModel.load(HfReferenceTest.folder(name))) {
            assertEquals(fromHf.config().tiedEmbeddings(), fromGguf.weights().output() == fromGguf.weights().tokenEmbedding());
            LlamaState a = fromGguf.newState(32), b = fromHf.newState(32);
            int[] prompt = HfReferenceTest.ints(HfReferenceTest.reference(name).get("input_ids"));
            for (int token : prompt) {
                float[] la = fromGguf.forward(a, token).clone();
                float[] lb = fromHf.forward(b, token);
                double maxDiff = 0, maxAbs = 0;
                for (int i = 0; i < la.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(lb[i]));
                }
                assertTrue(maxDiff / maxAbs < 1e-5, name + ": " + maxDiff / maxAbs);
            }
            HfReferenceTest.assertMatchesReference(fromGguf, HfReferenceTest.reference(name), HfReferenceTest.TOLERANCE);
        }
    }

    /**
     * Quantised GGUFs compute exactly what an fp32 model holding the dequantised weights computes
     * (to float rounding), and stay near the reference by as much as the precision allows (random
     * tiny models amplify weight noise about 3x into the logits).
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0"})
    void quantisedGgufStaysCloseToReference(String type) throws Exception {
        GgmlType t = GgmlType.valueOf(type);
        double tolerance = switch (t) {
            case F16 -> 2e-3;
            case BF16 -> 1e-2;
            case Q8_0 -> 4e-2;
            default -> 0.6;
        };
        Path gguf = dir.resolve("q.gguf");
        HfToGguf.convert(HfReferenceTest.folder("llama_gqa"), gguf, t);
        try (LlamaModel m = LlamaModel.load(gguf)) {
            assertEquals(t, m.weights().layers().get(0).wq().type());
            var ref = HfReferenceTest.reference("llama_gqa");
            int[] prompt = HfReferenceTest.ints(ref.get("input_ids"));
            LlamaState s = m.newState(32);
            LlamaModel twin = dequantisedTwin(m);
            LlamaState ts = twin.newState(32);
            double worst = 0;
            for (int i = 0; i < prompt.length; i++) {
                float[] logits = m.forward(s, prompt[i]);
                float[] exact = twin.forward(ts, prompt[i]);
                java.util.List<Object> boxed = new java.util.ArrayList<>();
                for (float v : exact) {
                    boxed.add(v);
                }
                assertTrue(HfReferenceTest.relativeError(logits, boxed) < 1e-5, "quantised kernels vs dequantised fp32");
                worst = Math.max(worst, HfReferenceTest.relativeError(logits,
                        (java.util.List<?>) ((java.util.List<?>) ref.get("logits")).get(i)));
            }
            assertTrue(worst < tolerance, type + " relative error " + worst);
            assertTrue(worst > 1e-6, "a quantised model that matches exactly was not quantised");
        }
    }

    /** The same model with every matrix dequantised to F32. */
    static LlamaModel dequantisedTwin(LlamaModel m) {
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
        java.util.function.UnaryOperator<org.lte4j.model.tensor.Tensor> f32 = t -> org.lte4j.model.tensor.Tensor.fromFloats(
                t.name(), GgmlType.F32, t.shape(), t.toFloats(), arena);
        LlamaWeights w = m.weights();
        java.util.List<LayerWeights> layers = w.layers().stream().map(l -> new LayerWeights(l.attnNorm(), f32.apply(l.wq()),
                f32.apply(l.wk()), f32.apply(l.wv()), f32.apply(l.wo()), l.bq(), l.bk(), l.bv(), l.ffnNorm(),
                f32.apply(l.wGate()), f32.apply(l.wUp()), f32.apply(l.wDown()))).toList();
        LlamaWeights tw = new LlamaWeights(f32.apply(w.tokenEmbedding()), layers, w.outputNorm(), f32.apply(w.output()),
                w.ropeInvFreq());
        return new LlamaModel(m.config(), tw, m.source());
    }

    @Test
    void ropeLayoutPermutationsAreInverse() {
        int[] f = RopeLayout.halvesToInterleaved(3, 8);
        int[] g = RopeLayout.interleavedToHalves(3, 8);
        for (int i = 0; i < f.length; i++) {
            assertEquals(i, f[g[i]]);
        }
        assertArrayEquals(new int[] {0, 4, 1, 5, 2, 6, 3, 7}, java.util.Arrays.copyOf(f, 8));
    }
}
