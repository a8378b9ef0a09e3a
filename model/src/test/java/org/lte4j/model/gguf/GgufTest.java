package org.lte4j.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

class GgufTest {
    @TempDir
    Path dir;

    static float[] randomFloats(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** A small file with metadata of every type and one tensor of every writable type. */
    static GgufWriter sample(int alignment) {
        Random rnd = new Random(7);
        return new GgufWriter().alignment(alignment)
                .putString("general.architecture", "llama")
                .put("u8", GgufValueType.UINT8, 200)
                .put("i8", GgufValueType.INT8, -100)
                .put("u16", GgufValueType.UINT16, 60000)
                .put("i16", GgufValueType.INT16, -30000)
                .put("u32", GgufValueType.UINT32, 4000000000L)
                .put("i32", GgufValueType.INT32, -2000000000)
                .put("u64", GgufValueType.UINT64, -1L)
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .put("f32", GgufValueType.FLOAT32, 0.1f)
                .put("f64", GgufValueType.FLOAT64, 0.1)
                .put("bool", GgufValueType.BOOL, true)
                .putString("str", "h\u00e9llo \uD83D\uDE00")
                .putArray("tokens", GgufValueType.STRING, List.of("<s>", "", "\u2581the"))
                .putArray("scores", GgufValueType.FLOAT32, List.of(0.5, -1.25, 3.0))
                .putArray("types", GgufValueType.INT32, List.of(1, 2, 3))
                .putArray("empty", GgufValueType.UINT8, List.of())
                .addTensor("f32", GgmlType.F32, new long[] {3, 5}, randomFloats(rnd, 15))
                .addTensor("f16", GgmlType.F16, new long[] {7}, randomFloats(rnd, 7))
                .addTensor("bf16", GgmlType.BF16, new long[] {2, 3}, randomFloats(rnd, 6))
                .addTensor("q8", GgmlType.Q8_0, new long[] {2, 64}, randomFloats(rnd, 128))
                .addTensor("q4", GgmlType.Q4_0, new long[] {2, 2, 32}, randomFloats(rnd, 128));
    }

    @Test
    void roundTripsMetadataAndTensors() throws IOException {
        for (int alignment : new int[] {32, 64, 1}) {
            Path p = dir.resolve("a" + alignment + ".gguf");
            sample(alignment).write(p);
            Random rnd = new Random(7);
            try (GgufFile g = GgufFile.open(p)) {
                Map<String, Object> m = g.metadata();
                assertEquals(3, g.version());
                assertEquals(alignment, g.alignment());
                assertEquals(0, g.dataStart() % alignment);
                assertEquals("llama", m.get("general.architecture"));
                assertEquals(200L, m.get("u8"));
                assertEquals(-100L, m.get("i8"));
                assertEquals(60000L, m.get("u16"));
                assertEquals(-30000L, m.get("i16"));
                assertEquals(4000000000L, m.get("u32"));
                assertEquals(-2000000000L, m.get("i32"));
                assertEquals("18446744073709551615", Long.toUnsignedString((Long) m.get("u64")));
                assertEquals(Long.MIN_VALUE, m.get("i64"));
                assertEquals((double) 0.1f, m.get("f32"));
                assertEquals(0.1, m.get("f64"));
                assertEquals(true, m.get("bool"));
                assertEquals("h\u00e9llo \uD83D\uDE00", m.get("str"));
                assertEquals(List.of("<s>", "", "\u2581the"), m.get("tokens"));
                assertEquals(List.of(0.5, -1.25, 3.0), m.get("scores"));
                assertEquals(List.of(1L, 2L, 3L), m.get("types"));
                assertEquals(List.of(), m.get("empty"));
                assertEquals(GgufValueType.UINT16, g.typeOf("u16"));
                assertEquals(GgufValueType.FLOAT32, g.arrayTypeOf("scores"));
                String[] names = {"f32", "f16", "bf16", "q8", "q4"};
                GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0};
                long[][] shapes = {{3, 5}, {7}, {2, 3}, {2, 64}, {2, 2, 32}};
                Arena arena = Arena.ofAuto();
                for (int i = 0; i < names.length; i++) {
                    Tensor t = g.tensor(names[i]);
                    assertEquals(types[i], t.type());
                    assertArrayEquals(shapes[i], t.shape());
                    float[] src = randomFloats(rnd, (int) Tensor.elementCount(shapes[i]));
                    Tensor expected = Tensor.fromFloats("x", types[i], shapes[i], src, arena);
                    assertArrayEquals(expected.toFloats(), t.toFloats(), names[i]);
                    assertEquals(0, g.tensorInfos().get(i).fileOffset() % alignment);
                }
                assertThrows(ModelFormatException.class, () -> g.tensor("missing"));
            }
            // copying the metadata through putAll gives the same metadata and types
            try (GgufFile g = GgufFile.open(p)) {
                Path q = dir.resolve("copy.gguf");
                GgufWriter w = new GgufWriter().alignment(alignment).putAll(g);
                for (GgufTensorInfo info : g.tensorInfos()) {
                    w.addTensor(g.tensor(info.name()));
                }
                w.write(q);
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(q), "rewrite is byte-identical");
            }
        }
    }

    @Test
    void kQuantsAreConvertedToQ8_0() throws IOException {
        // one Q6_K block: ql, qh, scales, d; all quants 33 (q=1 after -32), scales 1..16, d = 0.5
        MemorySegment q6 = Arena.ofAuto().allocate(210);
        for (int i = 0; i < 128; i++) q6.set(ValueLayout.JAVA_BYTE, i, (byte) 0x11);
        for (int i = 0; i < 64; i++) q6.set(ValueLayout.JAVA_BYTE, 128 + i, (byte) 0xaa); // high bits 2 -> +32
        for (int i = 0; i < 16; i++) q6.set(ValueLayout.JAVA_BYTE, 192 + i, (byte) (i + 1));
        q6.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 208, Float.floatToFloat16(0.5f));
        // one Q4_K block: d = 1, dmin = 0.25, scales/mins for sub-blocks 0..3 = 2/4 (6-bit), 4..7 = 3/1, nibbles 5|(7<<4)
        MemorySegment q4 = Arena.ofAuto().allocate(144);
        var h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        q4.set(h, 0, Float.floatToFloat16(1f));
        q4.set(h, 2, Float.floatToFloat16(0.25f));
        for (int j = 0; j < 4; j++) {
            q4.set(ValueLayout.JAVA_BYTE, 4 + j, (byte) 2);      // scale j
            q4.set(ValueLayout.JAVA_BYTE, 4 + j + 4, (byte) 4);  // min j
            q4.set(ValueLayout.JAVA_BYTE, 4 + j + 8, (byte) (3 | (1 << 4))); // low bits of scale/min j+4
        }
        for (int i = 0; i < 128; i++) q4.set(ValueLayout.JAVA_BYTE, 16 + i, (byte) (5 | (7 << 4)));
        Path p = dir.resolve("k.gguf");
        new GgufWriter().addTensor("q6", GgmlType.Q6_K, new long[] {256}, q6)
                .addTensor("q4", GgmlType.Q4_K, new long[] {256}, q4).write(p);
        try (GgufFile g = GgufFile.open(p)) {
            Tensor t6 = g.tensor("q6");
            assertEquals(GgmlType.Q8_0, t6.type());
            Tensor t4 = g.tensor("q4");
            for (int i = 0; i < 256; i++) {
                int half = i / 128, l = i % 128, quarter = l / 32, within = l % 32;
                int scale = 8 * half + (within / 16) + 2 * quarter + 1;
                assertEquals(0.5 * scale, t6.get(i), 0.5 * scale / 127 + 1e-3, "q6 " + i);
                int sub = i / 32; // sub-blocks of 32: even ones use low nibbles, odd ones high
                double expect = sub < 4 ? (sub % 2 == 0 ? 2 * 5 - 0.25 * 4 : 2 * 7 - 0.25 * 4)
                        : (sub % 2 == 0 ? 3 * 5 - 0.25 * 1 : 3 * 7 - 0.25 * 1);
                assertEquals(expect, t4.get(i), Math.abs(expect) / 127 + 1e-3, "q4k " + i);
            }
        }
    }

    // ---- malformed input ----

    static byte[] validBytes(Path dir) throws IOException {
        Path p = dir.resolve("valid.gguf");
        sample(32).write(p);
        return Files.readAllBytes(p);
    }

    /** Opens {@code bytes}, touches every tensor; returns normally or throws ModelFormatException only. */
    static void openAndUse(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        try (GgufFile g = GgufFile.open(file)) {
            for (GgufTensorInfo info : g.tensorInfos()) {
                Tensor t = g.tensor(info.name());
                t.toFloats();
            }
            g.metadata().forEach((k, v) -> { });
        }
    }

    private static ModelFormatException expectFormatError(Path file, byte[] bytes) {
        return assertThrows(ModelFormatException.class, () -> openAndUse(file, bytes));
    }

    @Test
    void truncatedFilesFailWithFileAndOffset() throws IOException {
        byte[] valid = validBytes(dir);
        long dataEnd;
        try (GgufFile g = GgufFile.open(dir.resolve("valid.gguf"))) {
            GgufTensorInfo last = g.tensorInfos().getLast();
            dataEnd = last.fileOffset() + last.byteSize(); // what follows is alignment padding
        }
        Path f = dir.resolve("trunc.gguf");
        for (long len : new long[] {0, 3, 4, 7, 8, 15, 23, 30, 60, 100, 200, 400, dataEnd - 100, dataEnd - 1}) {
            byte[] cut = java.util.Arrays.copyOf(valid, (int) len);
            ModelFormatException e = expectFormatError(f, cut);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertEquals(f, e.file());
            assertTrue(e.offset() >= 0 || e.item() != null, "names where: " + e.getMessage());
        }
    }

    @Test
    void headerCorruptionsNameTheProblem() throws IOException {
        byte[] valid = validBytes(dir);
        Path f = dir.resolve("bad.gguf");
        byte[] b = valid.clone();
        b[0] = 'X';
        assertTrue(expectFormatError(f, b).getMessage().contains("not a GGUF file"));
        b = valid.clone();
        b[4] = 9;
        assertTrue(expectFormatError(f, b).getMessage().contains("unsupported GGUF version 9"));
        b = valid.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1L << 60); // absurd tensor count
        ModelFormatException e = expectFormatError(f, b);
        assertTrue(e.getMessage().contains("tensor count") && e.offset() == 8, e.getMessage());
        b = valid.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE); // absurd kv count
        assertEquals(16, expectFormatError(f, b).offset());
        b = valid.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24, 1L << 40); // first key's length
        e = expectFormatError(f, b);
        assertTrue(e.getMessage().contains("string length"), e.getMessage());
    }

    @Test
    void unknownTensorTypeAndOffsetPastEofNameTheTensor() throws IOException {
        Path p = dir.resolve("t.gguf");
        new GgufWriter().addTensor("blk.0.attn_q.weight", GgmlType.F32, new long[] {4, 8}, new float[32]).write(p);
        byte[] valid = Files.readAllBytes(p);
        // header: magic 4, version 4, counts 16, name len 8 + 19, n_dims 4, dims 16, type 4, offset 8
        int typeAt = 24 + 8 + 19 + 4 + 16;
        byte[] b = valid.clone();
        b[typeAt] = 77;
        ModelFormatException e = expectFormatError(p, b);
        assertEquals("blk.0.attn_q.weight", e.item());
        assertEquals(typeAt, e.offset());
        assertTrue(e.getMessage().contains("unknown tensor type id 77"), e.getMessage());
        b = valid.clone();
        b[typeAt] = (byte) GgmlType.Q5_K.id;
        // Q5_K rows need 256 elements
        assertTrue(expectFormatError(p, b).getMessage().contains("block size"));
        b = valid.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(typeAt + 4, 1L << 20); // offset past EOF
        e = expectFormatError(p, b);
        assertTrue(e.getMessage().contains("past the end of the file"), e.getMessage());
        assertEquals("blk.0.attn_q.weight", e.item());
    }

    @Test
    void absurdShapesAreRejectedWithoutAllocating() throws IOException {
        Path p = dir.resolve("shape.gguf");
        new GgufWriter().addTensor("w", GgmlType.F32, new long[] {4, 8}, new float[32]).write(p);
        byte[] valid = Files.readAllBytes(p);
        int nDimsAt = 24 + 8 + 1;
        // rewrite as 2 dims of 2^31-1: the element count fits a long, the F32 byte size does not
        ByteBuffer b = ByteBuffer.allocate(valid.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(valid, 0, nDimsAt).putInt(2).putLong(Integer.MAX_VALUE).putLong(Integer.MAX_VALUE)
                .putInt(GgmlType.F32.id).putLong(0);
        byte[] bytes = java.util.Arrays.copyOf(b.array(), nDimsAt + 4 + 16 + 4 + 8 + 64);
        ModelFormatException e = expectFormatError(dir.resolve("s2.gguf"), bytes);
        assertEquals("w", e.item());
        assertTrue(e.getMessage().contains("overflow") || e.getMessage().contains("past the end"), e.getMessage());
    }

    /** A corrupt array count that still fits a large file is refused before boxing millions of values. */
    @Test
    void hugeArraysAndStringsAreRefusedBeforeAllocation() throws IOException {
        Path p = dir.resolve("big.gguf");
        byte[] padding = new byte[(1 << 24) + 64];
        new GgufWriter().putArray("arr", GgufValueType.UINT8, List.of(1, 2))
                .addTensor("pad", GgmlType.F32, new long[] {padding.length / 4}, java.lang.foreign.MemorySegment.ofArray(padding))
                .write(p);
        byte[] b = Files.readAllBytes(p);
        int countAt = 24 + 8 + 3 + 4 + 4; // header, key length + "arr", value type, element type
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(countAt, (1 << 24) + 1);
        ModelFormatException e = expectFormatError(p, b);
        assertTrue(e.getMessage().contains("exceeds the reader's limit") && "arr".equals(e.item()), e.getMessage());
        assertEquals(countAt, e.offset());
    }

    @Test
    void unsupportedComputableTypeIsNamed() throws IOException {
        Path p = dir.resolve("q5.gguf");
        new GgufWriter().addTensor("w", GgmlType.Q5_K, new long[] {256}, Arena.ofAuto().allocate(176)).write(p);
        try (GgufFile g = GgufFile.open(p)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> g.tensor("w"));
            assertTrue(e.getMessage().contains("unsupported tensor type Q5_K") && e.getMessage().contains("'w'"), e.getMessage());
        }
    }

    /**
     * Random byte flips and truncations of a valid file's header, with a fixed seed: the only
     * exception that may come out is ModelFormatException (never OOM, index or arithmetic errors).
     * An input that finds a bug is kept under src/test/resources/gguf-fuzz/ and replayed below.
     */
    @Test
    void headerFuzzingOnlyEverThrowsModelFormatException() throws IOException {
        byte[] valid = validBytes(dir);
        int headerEnd;
        try (GgufFile g = GgufFile.open(dir.resolve("valid.gguf"))) {
            headerEnd = (int) g.dataStart();
        }
        Random rnd = new Random(20261129);
        Path f = dir.resolve("fuzz.gguf");
        for (int iter = 0; iter < 3000; iter++) {
            byte[] b = valid.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = rnd.nextInt(headerEnd);
                b[at] = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                    case 2 -> (byte) 0xff;
                    default -> 0;
                };
            }
            if (rnd.nextInt(8) == 0) {
                b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            try {
                openAndUse(f, b);
            } catch (ModelFormatException expected) {
                assertNotNull(expected.getMessage());
            } catch (Throwable bug) {
                Path keep = Path.of("target", "gguf-fuzz-failure-" + iter + ".gguf");
                Files.createDirectories(keep.getParent());
                Files.write(keep, b);
                fail("iteration " + iter + " threw " + bug + " (input kept at " + keep.toAbsolutePath() + ")", bug);
            }
        }
    }

    @Test
    void keptFuzzInputsStayFixed() throws Exception {
        var url = GgufTest.class.getResource("/gguf-fuzz");
        if (url == null) {
            return; // no kept inputs
        }
        try (var files = Files.list(Path.of(url.toURI()))) {
            List<Path> inputs = files.filter(p -> p.toString().endsWith(".gguf")).toList();
            assertFalse(inputs.isEmpty());
            for (Path p : inputs) {
                ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
                    try (var m = org.lte4j.model.llama.LlamaModel.load(p)) {
                        m.forward(m.newState(4), 0);
                    }
                }, p.toString());
                assertEquals(p, e.file());
            }
        }
    }
}
