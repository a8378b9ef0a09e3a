package org.lte4j.model.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>Obtain one from {@link Tokenizers} (GGUF metadata, a Hugging Face {@code tokenizer.json}) or
 * train one with {@link BpeTrainer}.
 */
public interface Tokenizer {

    /** Number of token ids, i.e. the size of the embedding table the vocabulary indexes. */
    int vocabSize();

    /** The vocabulary entry of {@code id} as stored (byte-level or {@code ▁}-escaped spelling). */
    String tokenText(int id);

    TokenType tokenType(int id);

    OptionalInt bosId();

    OptionalInt eosId();

    /**
     * Ids that end a generated turn: EOS and, where the model has one, the end-of-turn token
     * (e.g. Llama-3 {@code <|eot_id|>}, Qwen2 {@code <|im_end|>}).
     */
    int[] endOfGenerationIds();

    /** Whether the model expects BOS in front of a prompt (GGUF {@code add_bos_token}). */
    boolean addsBosByDefault();

    /** The id of a control, user-defined or unknown token by its exact text, e.g. {@code "<|eot_id|>"}. */
    OptionalInt specialTokenId(String text);

    /** The texts of all control, user-defined and unknown tokens, in id order. */
    List<String> specialTokens();

    /** Encodes with the given options. */
    int[] encode(String text, EncodeOptions options);

    /** Encodes ordinary text: no BOS, control-token text is literal. */
    default int[] encode(String text) {
        return encode(text, EncodeOptions.PLAIN);
    }

    /** Encodes a prompt with BOS first (when the tokenizer has a BOS token). */
    default int[] encodeWithBos(String text) {
        return encode(text, EncodeOptions.WITH_BOS);
    }

    /** Encodes text that contains control tokens written out, e.g. a rendered chat template. */
    default int[] encodeWithSpecialTokens(String text) {
        return encode(text, EncodeOptions.SPECIAL_TOKENS);
    }

    /**
     * Decodes a whole sequence. Bytes that do not form valid UTF-8 become U+FFFD.
     */
    default String decode(int[] ids, SpecialTokenRendering rendering) {
        StreamingDecoder d = streamingDecoder(rendering);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.next(id));
        }
        return sb.append(d.flush()).toString();
    }

    /** Decodes with special tokens written as their text. */
    default String decode(int[] ids) {
        return decode(ids, SpecialTokenRendering.AS_TEXT);
    }

    /**
     * A decoder for generation: feed one id at a time and print what it returns. It holds back the
     * bytes of a UTF-8 character that is split across tokens until the character is complete.
     */
    StreamingDecoder streamingDecoder(SpecialTokenRendering rendering);

    /**
     * The tokenizer as GGUF {@code tokenizer.ggml.*} metadata: strings, {@code Boolean},
     * {@code Integer} for integer scalars, and {@code List} of String / Integer / Float for arrays
     * (tokens, token_type, scores, merges). {@link Tokenizers#fromGgufMetadata} reads it back.
     */
    Map<String, Object> toGgufMetadata();
}
