package org.lte4j.model.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/** Writes safetensors files with F32, F16 or BF16 tensors (tests and exports). */
public final class SafetensorsWriter {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Arena arena = Arena.ofAuto();

    public SafetensorsWriter add(String name, GgmlType type, long[] shape, float[] values) {
        tensors.put(name, Tensor.fromFloats(name, type, shape, values, arena));
        return this;
    }

    public SafetensorsWriter add(Tensor t) {
        if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
            throw new IllegalArgumentException("safetensors holds F32/F16/BF16 here, not " + t.type());
        }
        tensors.put(t.name(), t);
        return this;
    }

    public void write(Path path) throws IOException {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (Tensor t : tensors.values()) {
            if (json.length() > 1) {
                json.append(',');
            }
            String dtype = t.type() == GgmlType.BF16 ? "BF16" : t.type().name();
            json.append('"').append(t.name().replace("\\", "\\\\").replace("\"", "\\\"")).append("\":{\"dtype\":\"")
                    .append(dtype).append("\",\"shape\":").append(java.util.Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + t.segment().byteSize())
                    .append("]}");
            offset += t.segment().byteSize();
        }
        json.append('}');
        while ((json.length() + 8) % 8 != 0) {
            json.append(' '); // pad so the data starts 8-aligned, as the reference writer does
        }
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : tensors.values()) {
                MemorySegment s = t.segment();
                writeFully(ch, s.asByteBuffer());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
