package org.lte4j.model.sparse;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.train.ProgressListener;

class MoefyTest {
    @TempDir
    Path dir;

    /**
     * Moving neurons leaves the function alone: the moefied file, read by a plain reader, gives the
     * original's logits (to float rounding where the permutation is exact, F32 and F16).
     */
    @ParameterizedTest
    @CsvSource({"llama_gqa,F32", "llama_gqa,F16", "qwen2_bias,F32", "llama3_scaled_tied,F32", "mistral_mqa,F32"})
    void permutedDenseModelComputesWhatTheOriginalDoes(String name, GgmlType type) throws Exception {
        Path in = TinyModels.gguf(dir, name, type);
        Path out = dir.resolve("lte.gguf");
        Moefy.run(in, out, 32, 7, ProgressListener.SILENT);
        try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(out)) {
            assertFalse(Arrays.equals(a.tensor("blk.0.ffn_gate.weight").toFloats(),
                    b.tensor("blk.0.ffn_gate.weight").toFloats()), "k-means should move neurons");
        }
        double err = TinyModels.relativeError(TinyModels.logits(out), TinyModels.logits(in));
        assertTrue(err < 1e-5, name + " " + type + ": " + err);
    }

    /**
     * Q8_0 down columns are requantised after the move: the moefied model differs from the
     * original by less than the original Q8_0 model differs from its F32 source.
     */
    @Test
    void q8PermutedModelStaysWithinQuantisationNoise() throws Exception {
        Path f32 = TinyModels.gguf(dir, "llama_gqa", GgmlType.F32);
        Path q8 = TinyModels.gguf(dir, "llama_gqa", GgmlType.Q8_0);
        Path out = dir.resolve("lte.gguf");
        Moefy.run(q8, out, 32, 7, ProgressListener.SILENT);
        float[][] original = TinyModels.logits(q8);
        double quantNoise = TinyModels.relativeError(original, TinyModels.logits(f32));
        double err = TinyModels.relativeError(TinyModels.logits(out), original);
        assertTrue(err > 0 && err < quantNoise, "moefy " + err + " vs Q8_0 noise " + quantNoise);
        try (GgufFile b = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, b.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.Q8_0, b.tensor("blk.0.ffn_gate.weight").type());
        }
    }

    @Test
    void lteFileKeepsEverythingAndAddsRouters() throws Exception {
        Path in = TinyModels.gguf(dir, "llama_gqa", GgmlType.Q8_0);
        Path out = dir.resolve("lte.gguf");
        List<String> lines = new ArrayList<>();
        MoefyReport report = Moefy.run(in, out, 32, 3, lines::add);
        try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(out)) {
            for (Map.Entry<String, Object> e : a.metadata().entrySet()) {
                assertEquals(e.getValue(), b.metadata().get(e.getKey()), e.getKey());
                assertEquals(a.typeOf(e.getKey()), b.typeOf(e.getKey()), e.getKey());
            }
            assertEquals(32, b.getInt(LteGguf.EXPERT_SIZE));
            assertEquals(0.5, b.getDouble(LteGguf.THRESHOLD));
            for (GgufTensorInfo t : a.tensorInfos()) {
                assertEquals(t.type(), b.tensor(t.name()).type(), t.name());
                assertArrayEquals(t.shape(), b.tensor(t.name()).shape(), t.name());
            }
            for (int l = 0; l < 2; l++) {
                var router = b.tensor(LteGguf.routerName(l));
                assertEquals(GgmlType.F32, router.type());
                assertArrayEquals(new long[]{5, 64}, router.shape());
            }
            assertEquals(a.tensorInfos().size() + 2, b.tensorInfos().size());
        }
        assertNoScratchLeft();
        assertEquals(5, report.experts());
        assertEquals(2, report.layers().size());
        for (MoefyReport.Layer l : report.layers()) {
            assertTrue(l.meanDistance() > 0 && l.iterations() >= 1, l.toString());
            // the initial router is centred on the mean input: roughly half the experts pass
            assertTrue(l.routerActiveFraction() > 0.25 && l.routerActiveFraction() < 0.75, l.toString());
        }
        assertTrue(lines.stream().anyMatch(s -> s.contains("layer 2/2") && s.contains("ETA") && s.contains("mean distance")),
                String.join("\n", lines));
        try (LteModel lte = LteModel.load(out)) {
            assertEquals(new LteSettings(32, 0.5f), lte.settings());
            assertEquals(5, lte.experts());
        }
    }

    /**
     * A plain reader of the LTE file runs exactly the permuted dense model: the same tensors
     * written without lte.* keys and routers give bit-identical logits.
     */
    @Test
    void plainReaderOfLteFileRunsThePermutedDenseModel() throws Exception {
        Path in = TinyModels.gguf(dir, "llama_gqa", GgmlType.F32);
        Path out = dir.resolve("lte.gguf");
        Moefy.run(in, out, 32, 11, ProgressListener.SILENT);
        Path dense = dir.resolve("permuted-dense.gguf");
        try (GgufFile b = GgufFile.open(out)) {
            GgufWriter w = new GgufWriter().putAll(b).remove(LteGguf.EXPERT_SIZE).remove(LteGguf.THRESHOLD);
            for (GgufTensorInfo t : b.tensorInfos()) {
                if (!t.name().endsWith("ffn_router.weight")) {
                    w.addTensor(b.tensor(t.name()));
                }
            }
            w.write(dense);
        }
        float[][] plain = TinyModels.logits(out);
        float[][] reference = TinyModels.logits(dense);
        for (int i = 0; i < plain.length; i++) {
            assertArrayEquals(reference[i], plain[i], 0f);
        }
        try (LlamaModel m = LlamaModel.load(out)) {
            assertFalse(m instanceof LteModel);
        }
    }

    @Test
    void sameSeedWritesTheSameFile() throws Exception {
        Path in = TinyModels.gguf(dir, "mistral_mqa", GgmlType.F32);
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf");
        Moefy.run(in, a, 32, 5, ProgressListener.SILENT);
        Moefy.run(in, b, 32, 5, ProgressListener.SILENT);
        assertEquals(-1, Files.mismatch(a, b));
    }

    @Test
    void expertSizeThatDoesNotDivideTheFfnIsAClearError() throws Exception {
        Path in = TinyModels.gguf(dir, "llama_gqa", GgmlType.F32);
        Path out = dir.resolve("lte.gguf");
        var e = assertThrows(IllegalArgumentException.class, () -> Moefy.run(in, out, 48, 1, ProgressListener.SILENT));
        assertTrue(e.getMessage().contains(in.toString()) && e.getMessage().contains("feed_forward_length")
                && e.getMessage().contains("160") && e.getMessage().contains("48"), e.getMessage());
        assertFalse(Files.exists(out));
        assertNoScratchLeft();
    }

    private void assertNoScratchLeft() throws Exception {
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".scratch")).toList());
        }
    }

    @Test
    void moefyOfAFolderIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Moefy.run(dir, dir.resolve("out.gguf"), 32, 1, ProgressListener.SILENT));
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
    }

    @Test
    void moefyOfAnLteModelIsRefused() throws Exception {
        Path in = TinyModels.gguf(dir, "llama_gqa", GgmlType.F32);
        Path out = dir.resolve("lte.gguf");
        Moefy.run(in, out, 32, 1, ProgressListener.SILENT);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Moefy.run(out, dir.resolve("again.gguf"), 32, 1, ProgressListener.SILENT));
        assertTrue(e.getMessage().contains("already an LTE model"), e.getMessage());
    }
}
