package org.lte4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into chunks before BPE, so that merges never cross chunk boundaries. Each chunk is
 * a regex match or a run of text between matches (the standard patterns leave no gaps).
 *
 * <p>Patterns compile with {@link Pattern#UNICODE_CHARACTER_CLASS}, so {@code \s} is Unicode white
 * space and case-insensitive matching is Unicode-aware, as in the Rust and Oniguruma engines the
 * patterns were written for. Java matches by code point, so emoji outside the BMP are one
 * character to {@code \p{L}} and friends.
 */
public final class PreTokenizer {
    /** GPT-2: contractions, letters, digit runs, other symbols, each optionally after one space. */
    public static final PreTokenizer GPT2 = new PreTokenizer("gpt2",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /**
     * Llama 3 ({@code llama-bpe}): case-insensitive contractions, a letter run with at most one
     * leading non-letter, numbers in groups of at most three digits, symbols with trailing
     * newlines, newline runs.
     */
    public static final PreTokenizer LLAMA3 = new PreTokenizer("llama-bpe",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    /** Qwen2: as Llama 3 but every digit is its own chunk. */
    public static final PreTokenizer QWEN2 = new PreTokenizer("qwen2",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final String name;
    private final Pattern pattern;

    private PreTokenizer(String name, String regex) {
        this.name = name;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /**
     * A pre-tokenizer from a regex taken from a tokenizer.json {@code Split} step; one of the known
     * patterns comes back as its named constant (so it exports to GGUF under its llama.cpp name).
     */
    public static PreTokenizer ofRegex(String regex) {
        for (PreTokenizer known : new PreTokenizer[] {GPT2, LLAMA3, QWEN2}) {
            if (known.regex().equals(regex)) {
                return known;
            }
        }
        try {
            return new PreTokenizer("custom", regex);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new TokenizerFormatException("pre-tokenizer regex '" + regex
                    + "' is not valid in java.util.regex: " + e.getDescription() + " near index " + e.getIndex());
        }
    }

    /**
     * The pre-tokenizer named by GGUF {@code tokenizer.ggml.pre} (llama.cpp's names); an absent
     * name means GPT-2's default.
     */
    public static PreTokenizer fromGgufName(String pre) {
        if (pre == null) {
            return GPT2;
        }
        return switch (pre) {
            case "default", "gpt2", "gpt-2" -> GPT2;
            case "llama-bpe", "llama3", "llama-v3", "smaug-bpe" -> LLAMA3;
            case "qwen2", "deepseek-r1-qwen" -> QWEN2;
            default -> throw new TokenizerFormatException("tokenizer.ggml.pre = '" + pre
                    + "' is not supported; lte4j knows default/gpt2, llama-bpe/llama3/llama-v3/smaug-bpe, qwen2");
        };
    }

    /** The GGUF {@code tokenizer.ggml.pre} name, or "custom" for a pattern llama.cpp has no name for. */
    public String name() {
        return name;
    }

    public String regex() {
        return pattern.pattern();
    }

    /** The chunks of {@code text}, in order; their concatenation is {@code text}. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                out.add(text.substring(last, m.start()));
            }
            if (m.end() > m.start()) {
                out.add(m.group());
            }
            last = m.end();
        }
        if (last < text.length()) {
            out.add(text.substring(last));
        }
        return out;
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + "]";
    }
}
