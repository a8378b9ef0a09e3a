package org.lte4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.ModelFormatException;

/** Models whose files disagree with their configuration fail with a message naming the culprit. */
class ModelErrorTest {
    @TempDir
    Path dir;

    /** Copies a folder of the reference models, to edit. */
    Path copy(String name) throws Exception {
        Path src = HfReferenceTest.folder(name);
        Path dst = dir.resolve(name);
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    @Test
    void hfConfigDisagreeingWithTheWeightsNamesTheTensorAndShard() throws Exception {
        Path f = copy("llama_gqa");
        Path config = f.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 160", "\"intermediate_size\": 192"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(f));
        assertTrue(e.getMessage().contains("mlp.gate_proj.weight") && e.getMessage().contains("does not match config.json")
                && e.file().getFileName().toString().startsWith("model-0000"), e.getMessage());
    }

    @Test
    void hfFolderProblemsAreNamed() throws Exception {
        Path f = copy("llama_gqa");
        Files.delete(f.resolve("model-00002-of-00003.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(f));
        assertTrue(e.getMessage().contains("model-00002-of-00003.safetensors") && e.getMessage().contains("missing"), e.getMessage());

        Path g = copy("qwen2_bias");
        Files.writeString(g.resolve("config.json"), Files.readString(g.resolve("config.json")).replace("\"qwen2\"", "\"gpt2\""));
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(g));
        assertTrue(e.getMessage().contains("unsupported model_type 'gpt2'"), e.getMessage());

        Files.delete(g.resolve("config.json"));
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(g));
        assertTrue(e.getMessage().contains("no config.json"), e.getMessage());

        // found by fuzzing config.json: invalid UTF-8 escaped as MalformedInputException, a null
        // hidden_act as NullPointerException
        Path u = copy("qwen2_fp16");
        Files.write(u.resolve("config.json"), new byte[] {'{', (byte) 0xff, '}'});
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(u));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        Path v = copy("llama3_scaled_tied");
        Files.writeString(v.resolve("config.json"), Files.readString(v.resolve("config.json")).replace("\"silu\"", "null"));
        try (LlamaModel m = LlamaModel.load(v)) {
            assertEquals(384, m.config().vocabSize(), "a null hidden_act means the default, silu");
        }

        Path h = copy("mistral_mqa");
        Files.writeString(h.resolve("config.json"), "{\"model_type\": \"mistral\", ");
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(h));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("malformed JSON"), e.getMessage());
    }

    @Test
    void ggufMetadataDisagreeingWithTensorsNamesTheTensorAndItsOffset() throws Exception {
        Path good = dir.resolve("good.gguf");
        HfToGguf.convert(HfReferenceTest.folder("llama_gqa"), good, GgmlType.Q8_0);
        Path bad = dir.resolve("bad.gguf");
        long expectedOffset;
        try (GgufFile g = GgufFile.open(good)) {
            GgufWriter w = new GgufWriter().putAll(g).put("llama.feed_forward_length", GgufValueType.UINT32, 192);
            for (GgufTensorInfo i : g.tensorInfos()) {
                w.addTensor(g.tensor(i.name()));
            }
            w.write(bad);
        }
        try (GgufFile g = GgufFile.open(bad)) {
            expectedOffset = g.tensorInfos().stream().filter(i -> i.name().equals("blk.0.ffn_gate.weight"))
                    .findFirst().orElseThrow().infoOffset();
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(bad));
        assertEquals("blk.0.ffn_gate.weight", e.item());
        assertEquals(expectedOffset, e.offset());
        assertTrue(e.getMessage().contains("does not match the configuration"), e.getMessage());

        Path arch = dir.resolve("arch.gguf");
        try (GgufFile g = GgufFile.open(good)) {
            new GgufWriter().putAll(g).putString("general.architecture", "falcon").write(arch);
        }
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(arch));
        assertTrue(e.getMessage().contains("unsupported architecture 'falcon'"), e.getMessage());

        Path missing = dir.resolve("missing.gguf");
        try (GgufFile g = GgufFile.open(good)) {
            GgufWriter w = new GgufWriter().putAll(g).remove("llama.block_count");
            for (GgufTensorInfo i : g.tensorInfos()) {
                w.addTensor(g.tensor(i.name()));
            }
            w.write(missing);
        }
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(missing));
        assertTrue(e.getMessage().contains("llama.block_count") && e.getMessage().contains("missing"), e.getMessage());
    }
}
