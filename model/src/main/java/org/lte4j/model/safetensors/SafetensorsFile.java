package org.lte4j.model.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lte4j.model.json.Json;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

/**
 * A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header
 * mapping tensor names to {@code dtype}, {@code shape} and {@code data_offsets}, then the data.
 * F32, F16 and BF16 tensors are views of the mapping; other dtypes are reported when accessed.
 * Every malformed input throws {@link ModelFormatException} naming the file, tensor and offset.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The format's own limit on the header size. */
    static final long MAX_HEADER = 100L << 20;

    private record Entry(String dtype, long[] shape, long begin, long end) {
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafetensorsFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        long size = file.byteSize();
        if (size < 8) {
            throw new ModelFormatException(path, "header", 0, "file truncated: " + size + " bytes, no header length");
        }
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
            throw new ModelFormatException(path, "header", 0, "header length " + Long.toUnsignedString(headerLen)
                    + " does not fit the file (" + size + " bytes) or the format's 100 MiB limit");
        }
        dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        String json = new String(file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        Map<String, Object> header;
        try {
            header = Json.parseObject(json);
        } catch (Json.JsonException e) {
            throw new ModelFormatException(path, "header", 8 + e.offset(), "malformed JSON header: " + e.getMessage(), e);
        }
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> t)) {
                throw bad(name, "header entry is not an object");
            }
            if (!(t.get("dtype") instanceof String dtype)) {
                throw bad(name, "missing dtype");
            }
            long[] shape = longs(name, t.get("shape"), "shape", -1);
            long[] offsets = longs(name, t.get("data_offsets"), "data_offsets", 2);
            long begin = offsets[0], end = offsets[1];
            if (begin > end || end > dataSize) {
                throw bad(name, "data_offsets [" + begin + ", " + end + ") outside the data section of " + dataSize
                        + " bytes (file truncated?)");
            }
            long elements;
            try {
                elements = Tensor.elementCount(shape);
            } catch (ArithmeticException overflow) {
                throw bad(name, "element count overflows");
            }
            long width = dtypeBytes(dtype);
            if (width > 0 && (elements > Long.MAX_VALUE / width || elements * width != end - begin)) {
                throw bad(name, "shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs "
                        + (elements * width) + " bytes, data_offsets give " + (end - begin));
            }
            entries.put(name, new Entry(dtype, shape, begin, end));
        }
    }

    /** Maps and parses {@code path}. Close the result to unmap. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new SafetensorsFile(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    private ModelFormatException bad(String name, String problem) {
        return new ModelFormatException(path, name, 8, problem + " (in the JSON header)");
    }

    private long[] longs(String name, Object v, String field, int expectedLength) {
        if (!(v instanceof List<?> list) || (expectedLength >= 0 && list.size() != expectedLength)) {
            throw bad(name, field + " must be a list" + (expectedLength >= 0 ? " of " + expectedLength : "")
                    + " of non-negative integers");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw bad(name, field + " must hold non-negative integers, has " + list.get(i));
            }
            out[i] = l;
        }
        return out;
    }

    private static long dtypeBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    public Path path() {
        return path;
    }

    public Set<String> tensorNames() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean hasTensor(String name) {
        return entries.containsKey(name);
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** The dtype string of {@code name} as stored ("F32", "BF16", ...). */
    public String dtype(String name) {
        return entry(name).dtype();
    }

    /** Tensor {@code name} as a view of the mapping; F32, F16 and BF16 only. */
    public Tensor tensor(String name) {
        Entry e = entry(name);
        GgmlType type = switch (e.dtype()) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            default -> throw new ModelFormatException(path, name, dataStart + e.begin(),
                    "unsupported dtype " + e.dtype() + " (supported: F32, F16, BF16)");
        };
        long[] shape = e.shape().length == 0 ? new long[] {1} : e.shape();
        return Tensor.of(name, type, shape, file.asSlice(dataStart + e.begin(), e.end() - e.begin()));
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path, name, -1, "tensor not found");
        }
        return e;
    }

    @Override
    public void close() {
        arena.close();
    }
}
