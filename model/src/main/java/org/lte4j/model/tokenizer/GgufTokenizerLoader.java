package org.lte4j.model.tokenizer;

import static org.lte4j.model.tokenizer.GgufTokenizerKeys.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds a tokenizer from GGUF {@code tokenizer.ggml.*} metadata (llama.cpp's keys and defaults). */
final class GgufTokenizerLoader {
    /** End-of-turn tokens recognised by text when the file names none (llama.cpp does the same). */
    static final List<String> END_OF_TURN_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>");

    private GgufTokenizerLoader() {
    }

    static Optional<Tokenizer> load(Map<String, Object> md) {
        String model = MetadataValues.string(md, MODEL);
        List<String> tokens = MetadataValues.strings(md, TOKENS);
        if (model == null && tokens == null) {
            return Optional.empty();
        }
        if ("no_vocab".equals(model) || "none".equals(model)) {
            return Optional.empty();
        }
        if (tokens == null) {
            throw new TokenizerFormatException(MODEL + " = '" + model + "' but there is no " + TOKENS);
        }
        if (model == null) {
            throw new TokenizerFormatException(TOKENS + " is present but " + MODEL + " is missing");
        }
        return switch (model) {
            case "llama" -> Optional.of(sentencePiece(md, tokens));
            case "gpt2" -> Optional.of(byteLevel(md, tokens));
            default -> throw new TokenizerFormatException(MODEL + " = '" + model
                    + "' is not supported; lte4j reads 'llama' (SentencePiece BPE) and 'gpt2' (byte-level BPE)");
        };
    }

    private static List<TokenType> types(Map<String, Object> md, List<String> tokens) {
        int[] codes = MetadataValues.ints(md, TOKEN_TYPE);
        List<TokenType> types = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            if (codes == null) {
                types.add(TokenType.NORMAL);
            } else if (i < codes.length) {
                types.add(TokenType.ofCode(codes[i]));
            } else {
                throw new TokenizerFormatException(TOKEN_TYPE + " has " + codes.length + " entries but " + TOKENS
                        + " has " + tokens.size());
            }
        }
        return types;
    }

    private static int eot(Map<String, Object> md, List<String> tokens, List<TokenType> types) {
        int eot = MetadataValues.integer(md, EOT_ID, -1);
        if (eot >= 0) {
            return eot;
        }
        for (String t : END_OF_TURN_TEXTS) {
            int i = tokens.indexOf(t);
            if (i >= 0 && types.get(i).isSpecial()) {
                return i;
            }
        }
        return -1;
    }

    private static Tokenizer sentencePiece(Map<String, Object> md, List<String> tokens) {
        List<TokenType> types = types(md, tokens);
        float[] scores = MetadataValues.floats(md, SCORES);
        if (scores == null) {
            scores = new float[tokens.size()]; // llama.cpp's default: every score 0, so leftmost merges first
        }
        Vocabulary vocab = new Vocabulary(tokens, types, scores,
                MetadataValues.integer(md, BOS_ID, 1), MetadataValues.integer(md, EOS_ID, 2),
                eot(md, tokens, types), MetadataValues.integer(md, UNK_ID, 0),
                MetadataValues.bool(md, ADD_BOS, true));
        // Merges are present only in files lte4j converted from a tokenizer.json; they are exact.
        List<String> merges = MetadataValues.strings(md, MERGES);
        return new SentencePieceBpeTokenizer(vocab, MetadataValues.bool(md, ADD_SPACE_PREFIX, true), merges, "GGUF " + MERGES);
    }

    private static Tokenizer byteLevel(Map<String, Object> md, List<String> tokens) {
        List<TokenType> types = types(md, tokens);
        List<String> merges = MetadataValues.strings(md, MERGES);
        if (merges == null) {
            throw new TokenizerFormatException(MODEL + " = 'gpt2' needs " + MERGES + ", which is missing");
        }
        PreTokenizer pre = PreTokenizer.fromGgufName(MetadataValues.string(md, PRE));
        boolean llama3 = pre == PreTokenizer.LLAMA3;
        Vocabulary vocab = new Vocabulary(tokens, types, MetadataValues.floats(md, SCORES),
                MetadataValues.integer(md, BOS_ID, -1), MetadataValues.integer(md, EOS_ID, -1),
                eot(md, tokens, types), MetadataValues.integer(md, UNK_ID, -1),
                MetadataValues.bool(md, ADD_BOS, llama3));
        // llama.cpp uses a chunk that is a whole token directly for Llama 3, as Hugging Face's ignore_merges does
        return new ByteLevelBpeTokenizer(vocab, merges, pre, llama3, "GGUF " + MERGES);
    }
}
