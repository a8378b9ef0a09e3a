package org.lte4j.model.hf;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lte4j.model.json.Json;
import org.lte4j.model.safetensors.SafetensorsFile;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

/**
 * The weights of a Hugging Face folder: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Tensors are views of the mapped shards.
 */
public final class HfCheckpoint implements AutoCloseable {
    private final Path folder;
    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    private final Map<String, SafetensorsFile> shards = new LinkedHashMap<>();

    private HfCheckpoint(Path folder) {
        this.folder = folder;
    }

    public static HfCheckpoint open(Path folder) throws IOException {
        HfCheckpoint c = new HfCheckpoint(folder);
        try {
            Path index = folder.resolve("model.safetensors.index.json");
            Path single = folder.resolve("model.safetensors");
            if (Files.exists(index)) {
                c.openIndex(index);
            } else if (Files.exists(single)) {
                SafetensorsFile f = c.shard(single.getFileName().toString());
                for (String name : f.tensorNames()) {
                    c.byTensor.put(name, f);
                }
            } else {
                throw new ModelFormatException(folder, null, -1,
                        "no model.safetensors or model.safetensors.index.json in the folder");
            }
            return c;
        } catch (RuntimeException | IOException e) {
            c.close();
            throw e;
        }
    }

    private void openIndex(Path index) throws IOException {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(index));
        } catch (Json.JsonException e) {
            throw new ModelFormatException(index, null, e.offset(), "malformed JSON: " + e.getMessage(), e);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(index, null, -1, "not valid UTF-8 text", e);
        }
        if (!(json.get("weight_map") instanceof Map<?, ?> map)) {
            throw new ModelFormatException(index, "weight_map", -1, "missing or not an object");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof String file) || file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                throw new ModelFormatException(index, name, -1, "shard must be a plain file name in the folder, is " + e.getValue());
            }
            SafetensorsFile shard = shard(file);
            if (!shard.hasTensor(name)) {
                throw new ModelFormatException(shard.path(), name, -1, "the index places this tensor here but the shard lacks it");
            }
            byTensor.put(name, shard);
        }
    }

    private SafetensorsFile shard(String file) throws IOException {
        SafetensorsFile f = shards.get(file);
        if (f == null) {
            Path p = folder.resolve(file);
            if (!Files.exists(p)) {
                throw new ModelFormatException(p, null, -1, "shard named by the index is missing");
            }
            f = SafetensorsFile.open(p);
            shards.put(file, f);
        }
        return f;
    }

    public boolean hasTensor(String name) {
        return byTensor.containsKey(name);
    }

    public Tensor tensor(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new ModelFormatException(folder, name, -1, "tensor not found in the checkpoint");
        }
        return f.tensor(name);
    }

    /** The shard holding {@code name}, for error messages. */
    public Path fileOf(String name) {
        SafetensorsFile f = byTensor.get(name);
        return f == null ? folder : f.path();
    }

    @Override
    public void close() {
        for (SafetensorsFile f : shards.values()) {
            f.close();
        }
        shards.clear();
    }
}
