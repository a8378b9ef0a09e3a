package org.lte4j.model.tokenizer;

import java.util.List;

/** Text that tends to break tokenizers: digits, contractions, emoji, CJK, whitespace runs, controls. */
final class TrickyText {
    static final List<String> SAMPLES = List.of(
            "",
            "1234567 and 3.14159, 1,000,000",
            "you're I'LL we'd They'VE it's",
            "emoji \uD83D\uDE00\uD83C\uDF89 \u2764\uFE0F family \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
            "\u4F60\u597D\uFF0C\u4E16\u754C \u3053\u3093\u306B\u3061\u306F \uC548\uB155",
            "  leading and trailing   ",
            "tabs\tand\nnewlines\r\n\n\n   mixed \t \n",
            "caf\u00E9 na\u00EFve \u00FCber \u0394\u03B5\u03BB\u03C4\u03B1",
            "<|eot_id|> looks special but is plain text here",
            "\u0000\u0001 control bytes \u007F",
            "a");

    private TrickyText() {
    }
}
