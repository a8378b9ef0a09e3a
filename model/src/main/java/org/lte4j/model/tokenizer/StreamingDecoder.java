package org.lte4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Incremental decoding of generated tokens. {@link #next(int)} returns the text that is complete
 * after this token; bytes of a UTF-8 character split across tokens wait for the rest. Not
 * thread-safe: one per generation stream.
 */
public final class StreamingDecoder {
    private final Vocabulary vocab;
    private final PieceDecoder pieces;
    private final SpecialTokenRendering rendering;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    /** At the start of text or just after a special token: where a SentencePiece prefix space is dropped. */
    private boolean atTextStart = true;

    /** How one token becomes bytes; supplied by each tokenizer kind. */
    interface PieceDecoder {
        /** The bytes of an ordinary (non-special) token. */
        byte[] bytes(int id);

        /** Whether one leading space is dropped at the start of text (SentencePiece add_space_prefix). */
        boolean stripsLeadingSpace();
    }

    StreamingDecoder(Vocabulary vocab, PieceDecoder pieces, SpecialTokenRendering rendering) {
        this.vocab = vocab;
        this.pieces = pieces;
        this.rendering = rendering;
    }

    /** Adds one token; returns the text that became complete (possibly empty). */
    public String next(int id) {
        vocab.checkId(id);
        TokenType type = vocab.type(id);
        if (type.isSpecial()) {
            atTextStart = true;
            if (rendering == SpecialTokenRendering.OMIT && type != TokenType.USER_DEFINED) {
                return "";
            }
            // Anything held back can no longer be completed by the bytes that follow.
            return flush() + vocab.text(id);
        }
        byte[] b = pieces.bytes(id);
        int from = 0;
        if (atTextStart && b.length > 0) {
            if (pieces.stripsLeadingSpace() && b[0] == ' ') {
                from = 1;
            }
            atTextStart = false;
        }
        pending.write(b, from, b.length - from);
        return drainComplete();
    }

    /** Returns whatever is held back; an incomplete UTF-8 sequence becomes U+FFFD. */
    public String flush() {
        if (pending.size() == 0) {
            return "";
        }
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    private String drainComplete() {
        byte[] all = pending.toByteArray();
        int cut = completePrefixLength(all);
        if (cut == 0) {
            return "";
        }
        pending.reset();
        pending.write(all, cut, all.length - cut);
        return new String(all, 0, cut, StandardCharsets.UTF_8);
    }

    /**
     * Length of the longest prefix that does not end inside a UTF-8 character that more bytes
     * could still complete.
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        // A character is at most 4 bytes: only the last 3 can belong to an unfinished one.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int v = b[n - back] & 0xFF;
            if ((v & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead byte
            }
            int need = v >= 0xF0 && v <= 0xF4 ? 4 : v >= 0xE0 && v < 0xF0 ? 3 : v >= 0xC2 && v < 0xE0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n; // only continuation bytes at the end: malformed either way, emit
    }
}
