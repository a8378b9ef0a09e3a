package org.lte4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The expected chunks were worked out by hand from the regexes (alternatives tried in order at
 * each position, greedy quantifiers with backtracking), not by running this code.
 */
class PreTokenizerTest {
    private static void assertSplit(PreTokenizer pre, String text, String... expected) {
        assertEquals(List.of(expected), pre.split(text), () -> pre.name() + " on '" + text + "'");
    }

    @Test
    void llama3SplitsNumbersIntoGroupsOfAtMostThreeDigits() {
        assertSplit(PreTokenizer.LLAMA3, "1234567", "123", "456", "7");
        // a space before digits is its own chunk: no alternative takes " 1"
        assertSplit(PreTokenizer.LLAMA3, " 1234567", " ", "123", "456", "7");
        assertSplit(PreTokenizer.LLAMA3, "12345 67", "123", "45", " ", "67");
        assertSplit(PreTokenizer.LLAMA3, "abc123def", "abc", "123", "def");
        assertSplit(PreTokenizer.LLAMA3, "$100.50", "$", "100", ".", "50");
    }

    @Test
    void llama3ContractionsAreCaseInsensitive() {
        assertSplit(PreTokenizer.LLAMA3, "you're I'LL", "you", "'re", " I", "'LL");
        assertSplit(PreTokenizer.LLAMA3, "don't", "don", "'t");
        assertSplit(PreTokenizer.LLAMA3, "HELLO'S", "HELLO", "'S");
        // at the very start the contraction alternative wins before the letters
        assertSplit(PreTokenizer.LLAMA3, "'sup", "'s", "up");
    }

    @Test
    void llama3Whitespace() {
        assertSplit(PreTokenizer.LLAMA3, "Hello world", "Hello", " world");
        // \s+(?!\S) backs off one space so that the last space joins the word
        assertSplit(PreTokenizer.LLAMA3, "  hi\n\n there", " ", " hi", "\n\n", " there");
        // a tab is a non-letter that may lead a letter run
        assertSplit(PreTokenizer.LLAMA3, "a\tb", "a", "\tb");
        assertSplit(PreTokenizer.LLAMA3, "a\r\nb", "a", "\r\n", "b");
        assertSplit(PreTokenizer.LLAMA3, "a \n b", "a", " \n", " b");
        assertSplit(PreTokenizer.LLAMA3, "hi  ", "hi", "  ");
    }

    @Test
    void llama3PunctuationTakesTrailingNewlines() {
        assertSplit(PreTokenizer.LLAMA3, "hello!!! ok", "hello", "!!!", " ok");
        assertSplit(PreTokenizer.LLAMA3, "x.\n\ny", "x", ".\n\n", "y");
    }

    @Test
    void llama3EmojiAndCjk() {
        // U+2764 (So) and U+FE0F (Mn) are neither letters, digits nor space: one symbol run after the space
        assertSplit(PreTokenizer.LLAMA3, "I \u2764\uFE0F \u6771\u4EAC", "I", " \u2764\uFE0F", " \u6771\u4EAC");
        // an emoji outside the BMP is one code point; '!' continues the symbol run
        assertSplit(PreTokenizer.LLAMA3, "hi \uD83D\uDE00!", "hi", " \uD83D\uDE00!");
        assertSplit(PreTokenizer.LLAMA3, "\u00C0\u00C9 \u00FCber", "\u00C0\u00C9", " \u00FCber");
    }

    @Test
    void qwen2SplitsEveryDigit() {
        assertSplit(PreTokenizer.QWEN2, "1234567", "1", "2", "3", "4", "5", "6", "7");
        assertSplit(PreTokenizer.QWEN2, "abc123", "abc", "1", "2", "3");
        assertSplit(PreTokenizer.QWEN2, "you're I'LL", "you", "'re", " I", "'LL");
    }

    @Test
    void gpt2() {
        assertSplit(PreTokenizer.GPT2, "hello world", "hello", " world");
        // contractions are case-sensitive: the apostrophe falls to the symbol alternative
        assertSplit(PreTokenizer.GPT2, "I'LL", "I", "'", "LL");
        assertSplit(PreTokenizer.GPT2, "you're", "you", "'re");
        assertSplit(PreTokenizer.GPT2, " 1234567", " 1234567");
        assertSplit(PreTokenizer.GPT2, "  hi", " ", " hi");
        assertSplit(PreTokenizer.GPT2, "a\tb", "a", "\t", "b");
        assertSplit(PreTokenizer.GPT2, "x.\n\ny", "x", ".", "\n", "\n", "y");
    }

    @Test
    void chunksAlwaysConcatenateToTheInput() {
        String text = "Ünïcødé  \t\n\n 12345 don't STOP!!\r\n\u4F60\u597D\uD83C\uDF89 end  ";
        for (PreTokenizer p : List.of(PreTokenizer.GPT2, PreTokenizer.LLAMA3, PreTokenizer.QWEN2)) {
            assertEquals(text, String.join("", p.split(text)), p.name());
        }
    }

    @Test
    void ggufNames() {
        assertSame(PreTokenizer.LLAMA3, PreTokenizer.fromGgufName("llama-bpe"));
        assertSame(PreTokenizer.QWEN2, PreTokenizer.fromGgufName("qwen2"));
        assertSame(PreTokenizer.GPT2, PreTokenizer.fromGgufName(null));
        assertSame(PreTokenizer.GPT2, PreTokenizer.fromGgufName("default"));
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> PreTokenizer.fromGgufName("starcoder"));
        assertEquals(true, e.getMessage().contains("'starcoder'"), e.getMessage());
    }

    @Test
    void knownRegexFromTokenizerJsonMapsToItsGgufName() {
        String hfLlama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        assertSame(PreTokenizer.LLAMA3, PreTokenizer.ofRegex(hfLlama3));
        assertEquals("custom", PreTokenizer.ofRegex("\\p{L}+|\\s+").name());
    }
}
