package org.lte4j.model.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

class SafetensorsTest {
    @TempDir
    Path dir;

    static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    Path sample() throws IOException {
        Path p = dir.resolve("s.safetensors");
        new SafetensorsWriter()
                .add("a.weight", GgmlType.F32, new long[] {3, 4}, values(12, 1))
                .add("b.weight", GgmlType.F16, new long[] {5}, values(5, 2))
                .add("c.weight", GgmlType.BF16, new long[] {2, 2, 2}, values(8, 3))
                .write(p);
        return p;
    }

    @Test
    void roundTripsF32F16Bf16() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(sample())) {
            assertEquals(java.util.Set.of("a.weight", "b.weight", "c.weight"), f.tensorNames());
            assertArrayEquals(values(12, 1), f.tensor("a.weight").toFloats());
            Tensor b = f.tensor("b.weight");
            assertEquals(GgmlType.F16, b.type());
            float[] vb = values(5, 2);
            for (int i = 0; i < 5; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(vb[i])), b.get(i));
            }
            Tensor c = f.tensor("c.weight");
            assertArrayEquals(new long[] {2, 2, 2}, c.shape());
            float[] vc = values(8, 3);
            for (int i = 0; i < 8; i++) {
                assertEquals(vc[i], c.get(i), Math.abs(vc[i]) / 256, "bf16 keeps 8 bits of mantissa");
            }
            assertEquals("BF16", f.dtype("c.weight"));
        }
    }

    /** A file with the given JSON header and {@code dataBytes} zero bytes of data. */
    Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("h.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private ModelFormatException failsToOpen(Path p) {
        return assertThrows(ModelFormatException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String n : f.tensorNames()) {
                    f.tensor(n).toFloats();
                }
            }
        });
    }

    @Test
    void malformedHeadersNameTheTensorAndFile() throws IOException {
        ModelFormatException e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("needs 24 bytes"), e.getMessage());
        e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 20));
        assertTrue(e.getMessage().contains("outside the data section"), e.getMessage());
        e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]}}", 24));
        assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
        e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}}", 24));
        assertTrue(e.getMessage().contains("unsupported dtype I64"), e.getMessage());
        e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,24]}}", 24));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        e = failsToOpen(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4));
        assertTrue(e.getMessage().contains("malformed JSON header"), e.getMessage());
        assertTrue(e.offset() >= 8);
        e = failsToOpen(withHeader("[1,2]", 0));
        assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
        Path p = dir.resolve("len.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 50).array());
        e = failsToOpen(p);
        assertTrue(e.getMessage().contains("header length") && e.offset() == 0, e.getMessage());
    }

    @Test
    void truncatedFilesFail() throws IOException {
        byte[] valid = Files.readAllBytes(sample());
        Path p = dir.resolve("t.safetensors");
        for (int len : new int[] {0, 5, 8, 9, 40, 100, valid.length - 17, valid.length - 1}) {
            Files.write(p, Arrays.copyOf(valid, len));
            ModelFormatException e = failsToOpen(p);
            assertEquals(p, e.file());
        }
    }

    /** Seeded random corruption of the header: only ModelFormatException may come out. */
    @Test
    void headerFuzzingOnlyEverThrowsModelFormatException() throws IOException {
        byte[] valid = Files.readAllBytes(sample());
        long headerEnd = 8 + ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Random rnd = new Random(99);
        Path p = dir.resolve("f.safetensors");
        for (int iter = 0; iter < 2000; iter++) {
            byte[] b = valid.clone();
            for (int k = 0, n = 1 + rnd.nextInt(3); k < n; k++) {
                int at = rnd.nextInt((int) headerEnd);
                b[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) "0123456789[]{},:\"-".charAt(rnd.nextInt(18));
            }
            Files.write(p, b);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String n : f.tensorNames()) {
                    f.tensor(n).toFloats();
                }
            } catch (ModelFormatException expected) {
                assertNotNull(expected.getMessage());
            } catch (Throwable bug) {
                Path keep = Path.of("target", "safetensors-fuzz-failure-" + iter + ".safetensors");
                Files.createDirectories(keep.getParent());
                Files.write(keep, b);
                fail("iteration " + iter + " threw " + bug + " (input kept at " + keep.toAbsolutePath() + ")", bug);
            }
        }
    }
}
