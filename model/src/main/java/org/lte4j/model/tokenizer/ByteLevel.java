package org.lte4j.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-character mapping: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) are moved to U+0100 upwards in byte order, so
 * every byte string has a printable spelling without spaces (space becomes {@code Ġ}).
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a mapped character stands for, or -1 if it is not one of the 256. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The byte-level spelling of a string's UTF-8 bytes. */
    static String encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        char[] c = new char[b.length];
        for (int i = 0; i < b.length; i++) {
            c[i] = BYTE_TO_CHAR[b[i] & 0xFF];
        }
        return new String(c);
    }

    /**
     * The bytes a byte-level token spells. A character outside the mapping (not produced by the
     * mapping, e.g. in a hand-edited vocabulary) contributes its own UTF-8 bytes.
     */
    static byte[] decode(String piece) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(piece.length());
        for (int i = 0; i < piece.length(); i++) {
            int b = byteOf(piece.charAt(i));
            if (b >= 0) {
                out.write(b);
            } else {
                int cp = piece.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toByteArray();
    }
}
