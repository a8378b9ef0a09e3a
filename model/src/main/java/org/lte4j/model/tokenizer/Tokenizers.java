package org.lte4j.model.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.lte4j.model.json.Json;

/**
 * Where tokenizers come from. A model without a tokenizer still runs on token ids: the factories
 * return {@link Optional#empty()} and {@link #whyNone(Path)} says what was looked for.
 */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * The tokenizer described by GGUF metadata ({@code tokenizer.ggml.model} "llama" or "gpt2"),
     * or empty when the file has none ({@code no_vocab}, or no tokenizer keys).
     *
     * @throws TokenizerFormatException when the keys are there but unusable (the message names the key)
     */
    public static Optional<Tokenizer> fromGgufMetadata(Map<String, Object> metadata) {
        return GgufTokenizerLoader.load(metadata);
    }

    /**
     * A tokenizer from the text of a Hugging Face tokenizer.json.
     *
     * @param tokenizerConfigJson the text of tokenizer_config.json (BOS/EOS, add_bos_token), or null
     */
    public static Tokenizer fromHuggingFaceJson(String tokenizerJson, String tokenizerConfigJson) {
        Map<String, Object> config = null;
        if (tokenizerConfigJson != null) {
            try {
                config = Json.parseObject(tokenizerConfigJson);
            } catch (Json.JsonException e) {
                throw new TokenizerFormatException("tokenizer_config.json: " + e.getMessage());
            }
        }
        return HuggingFaceTokenizerLoader.load(tokenizerJson, config, "tokenizer.json");
    }

    /**
     * The tokenizer of a Hugging Face model folder ({@code tokenizer.json}, with
     * {@code tokenizer_config.json} when present), or empty when the folder has no tokenizer.json.
     */
    public static Optional<Tokenizer> fromFolder(Path folder) {
        Path json = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            return Optional.empty();
        }
        try {
            Path cfgPath = folder.resolve("tokenizer_config.json");
            Map<String, Object> config = null;
            if (Files.isRegularFile(cfgPath)) {
                try {
                    config = Json.parseObject(Files.readString(cfgPath));
                } catch (Json.JsonException e) {
                    throw new TokenizerFormatException(cfgPath + ": " + e.getMessage());
                }
            }
            return Optional.of(HuggingFaceTokenizerLoader.load(Files.readString(json), config, json.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + json + ": " + e.getMessage(), e);
        }
    }

    /** A one-line explanation for a model folder without a usable tokenizer, for the user. */
    public static String whyNone(Path folder) {
        String extra = Files.isRegularFile(folder.resolve("tokenizer.model"))
                ? " (it has tokenizer.model, a SentencePiece protobuf, which lte4j does not read; convert it to tokenizer.json or GGUF)"
                : "";
        return "no tokenizer.json in " + folder + extra + "; the model runs on token ids only";
    }
}
