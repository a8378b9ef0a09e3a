package org.lte4j.model.lte;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.train.LlamaWeights;
import org.lte4j.model.train.ModelIO;
import org.lte4j.model.train.Pretrain;
import org.lte4j.model.train.PretrainOptions;
import org.lte4j.model.train.ProgressListener;
import org.lte4j.model.train.TextData;
import org.lte4j.model.train.TrainResult;

/** Tiny end-to-end runs of the facades the CLI calls: pretrain, LTE stages, calibration, evaluation. */
class LtePipelineTest {
    @TempDir
    Path dir;

    /** A few kilobytes of repetitive pseudo-English that a tiny model learns within a few dozen steps. */
    static Path corpus(Path dir) throws Exception {
        String[] words = {"the ", "king ", "and ", "queen ", "of ", "rome ", "shall ", "speak ", "now ", "to ", "me "};
        SplittableRandom rnd = new SplittableRandom(3);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 12000) {
            sb.append(words[rnd.nextInt(words.length)]);
            if (rnd.nextInt(9) == 0) sb.append(".\n");
        }
        Path p = dir.resolve("corpus.txt");
        Files.writeString(p, sb.toString());
        return p;
    }

    private PretrainOptions tiny(Path data, Path out, int threads) {
        return PretrainOptions.defaults(data, "tiny", out).withSteps(40).withBatch(4, 32).withThreads(threads)
                .withEval(0, 2048).withSchedule(1e-2f, 5).withCheckpointing(0, false);
    }

    @Test
    void pretrainIsDeterministicLearnsAndWritesALoadableGguf() throws Exception {
        Path data = corpus(dir);
        TrainResult a = Pretrain.run(tiny(data, dir.resolve("a.gguf"), 2), ProgressListener.SILENT);
        TrainResult b = Pretrain.run(tiny(data, dir.resolve("b.gguf"), 1), ProgressListener.SILENT);
        assertTrue(a.validationNll() < 0.7 * Math.log(256), "validation nll " + a.validationNll());
        assertEquals(a.validationNll(), b.validationNll(), "same seed, different thread count");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.gguf")), Files.readAllBytes(dir.resolve("b.gguf")));
        ModelIO.Loaded m = ModelIO.load(dir.resolve("a.gguf"));
        assertNull(m.weights().lte());
        assertEquals(256, m.tokenizer().vocabSize());
        assertEquals("to me", m.tokenizer().decode(m.tokenizer().encode("to me")));
    }

    @Test
    void resumingFromACheckpointGivesTheSameModel() throws Exception {
        Path data = corpus(dir);
        PretrainOptions full = tiny(data, dir.resolve("full.gguf"), 2);
        Pretrain.run(full, ProgressListener.SILENT);
        PretrainOptions part = tiny(data, dir.resolve("part.gguf"), 2).withCheckpointing(20, true);
        Pretrain.run(part.withSteps(40), ProgressListener.SILENT);
        // a second run with resume picks up the finished checkpoint and only re-exports
        Files.delete(dir.resolve("part.gguf"));
        Pretrain.run(part, ProgressListener.SILENT);
        assertArrayEquals(Files.readAllBytes(dir.resolve("full.gguf")), Files.readAllBytes(dir.resolve("part.gguf")));
    }

    @Test
    void stagesOneAndTwoThenEvaluate() throws Exception {
        Path data = corpus(dir);
        Pretrain.run(tiny(data, dir.resolve("dense.gguf"), 2), ProgressListener.SILENT);
        LteTrainOptions s1 = LteTrainOptions.defaults(dir.resolve("dense.gguf"), data, 1, 1.0, dir.resolve("s1.gguf"))
                .withSteps(15).withBatch(4, 32).withEvalTokens(1024);
        TrainResult r1 = LteTrain.run(s1, ProgressListener.SILENT);
        LlamaWeights w1 = ModelIO.load(dir.resolve("s1.gguf")).weights();
        assertNotNull(w1.lte());
        assertEquals(32, w1.lte().expertSize());
        assertEquals(2, w1.get(LlamaWeights.routerName(0)).rows());
        assertTrue(r1.validationSparsity() >= 0 && r1.validationSparsity() <= 1);

        LteTrainOptions s2 = LteTrainOptions.defaults(dir.resolve("s1.gguf"), data, 2, 0, dir.resolve("s2.gguf"))
                .withSteps(10).withBatch(4, 32).withEvalTokens(1024);
        TrainResult r2 = LteTrain.run(s2, ProgressListener.SILENT);
        // stage 2 keeps the routers
        assertArrayEquals(w1.get(LlamaWeights.routerName(1)).data(),
                ModelIO.load(dir.resolve("s2.gguf")).weights().get(LlamaWeights.routerName(1)).data());
        EvalResult sparse = Evaluate.run(new Evaluate.Options(dir.resolve("s2.gguf"), data, TextData.Split.VALIDATION,
                false, 1024, 2), ProgressListener.SILENT);
        EvalResult dense = Evaluate.run(new Evaluate.Options(dir.resolve("s2.gguf"), data, TextData.Split.VALIDATION,
                true, 1024, 2), ProgressListener.SILENT);
        assertEquals(r2.validationNll(), sparse.nll(), 1e-9);
        assertEquals(r2.validationSparsity(), sparse.sparsity(), 1e-12);
        assertEquals(0.0, dense.sparsity());
        assertTrue(Double.isFinite(dense.perplexity()));
    }

    @Test
    void calibrationTrainsOnlyRoutersAndReportsEachLayer() throws Exception {
        Path data = corpus(dir);
        Pretrain.run(tiny(data, dir.resolve("dense.gguf"), 2), ProgressListener.SILENT);
        Calibrate.Result r = Calibrate.run(CalibrateOptions.defaults(dir.resolve("dense.gguf"), data, 0.5,
                dir.resolve("cal.gguf")).withSteps(20).withBatch(2, 32), ProgressListener.SILENT);
        assertEquals(2, r.layers().size());
        for (Calibrate.LayerReport l : r.layers()) {
            assertTrue(l.sparsity() >= 0 && l.sparsity() <= 1);
            assertTrue(l.relativeError() >= 0 && Double.isFinite(l.relativeError()));
        }
        // the dense part is the (permuted) pretrained model: the dense outputs agree
        EvalResult before = Evaluate.run(new Evaluate.Options(dir.resolve("dense.gguf"), data,
                TextData.Split.VALIDATION, true, 1024, 1), ProgressListener.SILENT);
        EvalResult after = Evaluate.run(new Evaluate.Options(dir.resolve("cal.gguf"), data,
                TextData.Split.VALIDATION, true, 1024, 1), ProgressListener.SILENT);
        assertEquals(before.nll(), after.nll(), 1e-4);
    }

    @Test
    void badInputGetsClearErrors() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> Pretrain.run(tiny(empty, dir.resolve("x.gguf"), 1), ProgressListener.SILENT));
        assertTrue(e1.getMessage().contains("empty"), e1.getMessage());
        Path binary = Files.write(dir.resolve("bin.txt"), new byte[]{'a', 0, 1, 2, 3});
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Pretrain.run(tiny(binary, dir.resolve("x.gguf"), 1), ProgressListener.SILENT));
        assertTrue(e2.getMessage().contains("binary"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> LteTrainOptions.defaults(dir.resolve("m.gguf"), empty, 1, -0.1, dir.resolve("o.gguf")));
        assertTrue(e3.getMessage().contains("eta"), e3.getMessage());
        Path data = corpus(dir);
        Pretrain.run(tiny(data, dir.resolve("dense.gguf"), 2).withSteps(2), ProgressListener.SILENT);
        var e4 = assertThrows(IllegalArgumentException.class, () -> LteTrain.run(LteTrainOptions.defaults(
                dir.resolve("dense.gguf"), data, 2, 0, dir.resolve("o.gguf")).withSteps(1), ProgressListener.SILENT));
        assertTrue(e4.getMessage().contains("no LTE metadata"), e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class,
                () -> PretrainOptions.defaults(data, "nope", dir.resolve("o.gguf")).withSteps(1)
                        .withCheckpointing(0, false).preset().transform(org.lte4j.model.train.ModelPreset::parse));
        assertTrue(e5.getMessage().contains("tiny"), e5.getMessage());
    }

    @Test
    void bpeVocabularyTravelsInTheGguf() throws Exception {
        Path data = corpus(dir);
        PretrainOptions o = tiny(data, dir.resolve("bpe.gguf"), 2).withSteps(5);
        o = new PretrainOptions(o.data(), o.preset(), 300, o.steps(), o.batch(), o.seq(), o.learningRate(), o.warmup(),
                o.weightDecay(), o.clipNorm(), o.seed(), o.threads(), o.out(), o.checkpointEvery(), o.resume(),
                o.evalEvery(), o.evalTokens());
        Pretrain.run(o, ProgressListener.SILENT);
        ModelIO.Loaded m = ModelIO.load(dir.resolve("bpe.gguf"));
        assertEquals(300, m.tokenizer().vocabSize());
        assertEquals(300, m.weights().config().vocabSize());
        int[] ids = m.tokenizer().encode("the king and the queen");
        assertTrue(ids.length < "the king and the queen".length(), "BPE merges shorten the text: " + ids.length);
        assertEquals("the king and the queen", m.tokenizer().decode(ids));
    }
}
