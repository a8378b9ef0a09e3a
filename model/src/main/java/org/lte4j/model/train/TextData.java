package org.lte4j.model.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A UTF-8 text corpus split into a training part and a held-out validation part (the last
 * {@code heldOut} fraction of the characters).
 */
public record TextData(Path file, String train, String validation) {

    /** Which part of a corpus to use. */
    public enum Split { TRAIN, VALIDATION }

    public static final double HELD_OUT = 0.10;

    /** Reads and validates a text file; rejects empty, binary and non-UTF-8 files. */
    public static String readText(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read text file " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length == 0) throw new IllegalArgumentException("text file " + file + " is empty");
        int control = 0;
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xFF;
            if (b == 0) throw new IllegalArgumentException(file + " is binary, not text (NUL byte at offset " + i + ")");
            if (b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f') control++;
        }
        if (control > bytes.length / 100) {
            throw new IllegalArgumentException(file + " looks binary: " + control + " control bytes in " + bytes.length);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + " is not valid UTF-8 text: " + e.getMessage(), e);
        }
    }

    public static TextData load(Path file) {
        String text = readText(file);
        int cut = (int) Math.round(text.length() * (1 - HELD_OUT));
        if (cut > 0 && Character.isLowSurrogate(text.charAt(Math.min(cut, text.length() - 1)))) cut--;
        if (cut <= 0 || cut >= text.length()) {
            throw new IllegalArgumentException(file + " is too short to hold out 10% for validation ("
                    + text.length() + " characters)");
        }
        return new TextData(file, text.substring(0, cut), text.substring(cut));
    }

    public String part(Split split) {
        return split == Split.TRAIN ? train : validation;
    }
}
