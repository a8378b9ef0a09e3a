package org.lte4j.model.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;

/**
 * Writes GGUF version 3 files: metadata of every value type (arrays of scalars or strings) and
 * tensors in any storage type, each tensor's data aligned to {@link #alignment} (default 32; a
 * non-default alignment is recorded as {@code general.alignment}).
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .put("llama.block_count", GgufValueType.UINT32, 2)
 *     .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {vocab, dim}, values)
 *     .write(path);
 * }</pre>
 */
public final class GgufWriter {
    private record Value(GgufValueType type, GgufValueType elementType, Object value) {
    }

    private record PendingTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();
    private final Arena arena = Arena.ofAuto(); // holds tensors quantised from float arrays until written
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** Alignment of tensor data, a power of two. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, was " + alignment);
        }
        this.alignment = alignment;
        return this;
    }

    /** A scalar value: integer types take any {@link Number} in range, floats a Number, BOOL a Boolean. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("use putArray for arrays (" + key + ")");
        }
        checkScalar(key, type, value);
        metadata.put(key, new Value(type, null, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    /** An array of scalars or strings, all of {@code elementType}. */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        if (elementType == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("nested arrays are not written (" + key + ")");
        }
        for (Object v : values) {
            checkScalar(key, elementType, v);
        }
        metadata.put(key, new Value(GgufValueType.ARRAY, elementType, List.copyOf(values)));
        return this;
    }

    /** Copies every metadata entry of {@code source} with its stored type (not general.alignment). */
    public GgufWriter putAll(GgufFile source) {
        for (Map.Entry<String, Object> e : source.metadata().entrySet()) {
            String key = e.getKey();
            if (key.equals("general.alignment")) {
                continue;
            }
            GgufValueType type = source.typeOf(key);
            if (type == GgufValueType.ARRAY) {
                putArray(key, source.arrayTypeOf(key), (List<?>) e.getValue());
            } else {
                put(key, type, e.getValue());
            }
        }
        return this;
    }

    /** Removes a metadata key (e.g. after {@link #putAll}). */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** A tensor from raw bytes already in {@code type}'s layout; shape is outermost first. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long bytes = type.bytesFor(Tensor.elementCount(shape));
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException(name + ": " + type + Arrays.toString(shape) + " needs " + bytes
                    + " bytes, given " + data.byteSize());
        }
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException(name + ": GGUF tensors have 1.." + GgufFile.MAX_DIMS + " dimensions");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        tensors.put(name, new PendingTensor(name, type, shape.clone(), data));
        return this;
    }

    /** A copy of an existing tensor's bytes, under its own name. */
    public GgufWriter addTensor(Tensor t) {
        return addTensor(t.name(), t.type(), t.shape(), t.segment());
    }

    /** A tensor from floats, converted or quantised to {@code type} (F32, F16, BF16, Q8_0, Q4_0). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        Tensor t = Tensor.fromFloats(name, type, shape, values, arena);
        return addTensor(name, type, shape, t.segment());
    }

    /** Writes the file (replacing any existing one). */
    public void write(Path path) throws IOException {
        LeBuffer h = new LeBuffer();
        h.u32(GgufFile.MAGIC);
        h.u32(3);
        h.u64(tensors.size());
        Map<String, Value> meta = new LinkedHashMap<>(metadata);
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            meta.put("general.alignment", new Value(GgufValueType.UINT32, null, alignment));
        } else {
            meta.remove("general.alignment");
        }
        h.u64(meta.size());
        for (Map.Entry<String, Value> e : meta.entrySet()) {
            h.string(e.getKey());
            Value v = e.getValue();
            h.u32(v.type().id);
            if (v.type() == GgufValueType.ARRAY) {
                List<?> list = (List<?>) v.value();
                h.u32(v.elementType().id);
                h.u64(list.size());
                for (Object o : list) {
                    h.scalar(v.elementType(), o);
                }
            } else {
                h.scalar(v.type(), v.value());
            }
        }
        List<Long> offsets = new ArrayList<>();
        long offset = 0;
        for (PendingTensor t : tensors.values()) {
            h.string(t.name());
            h.u32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                h.u64(t.shape()[d]); // innermost first
            }
            h.u32(t.type().id);
            h.u64(offset);
            offsets.add(offset);
            offset = GgufFile.align(offset + t.data().byteSize(), alignment);
        }
        long headerEnd = h.size();
        long dataStart = GgufFile.align(headerEnd, alignment);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(h.bytes()));
            writeFully(ch, ByteBuffer.allocate((int) (dataStart - headerEnd)));
            long pos = dataStart;
            int i = 0;
            for (PendingTensor t : tensors.values()) {
                long target = dataStart + offsets.get(i++);
                writeFully(ch, ByteBuffer.allocate((int) (target - pos)));
                MemorySegment data = t.data();
                for (long at = 0; at < data.byteSize(); at += 1 << 30) {
                    long n = Math.min(1 << 30, data.byteSize() - at);
                    writeFully(ch, data.asSlice(at, n).asByteBuffer());
                }
                pos = target + data.byteSize();
            }
            // pad the end so the last tensor's block is aligned, as GGML writers do
            writeFully(ch, ByteBuffer.allocate((int) (GgufFile.align(pos, alignment) - pos)));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void checkScalar(String key, GgufValueType type, Object value) {
        boolean ok = switch (type) {
            case UINT8 -> inRange(value, 0, 0xff);
            case INT8 -> inRange(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> inRange(value, 0, 0xffff);
            case INT16 -> inRange(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> inRange(value, 0, 0xffffffffL);
            case INT32 -> inRange(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> value instanceof Long || value instanceof Integer || value instanceof Short
                    || value instanceof Byte;
            case FLOAT32, FLOAT64 -> value instanceof Number;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException(key + ": " + value + " is not a valid " + type);
        }
    }

    private static boolean inRange(Object v, long lo, long hi) {
        if (!(v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) {
            return false;
        }
        long x = ((Number) v).longValue();
        return x >= lo && x <= hi;
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class LeBuffer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u32(long v) {
            scratch.clear();
            scratch.putInt((int) v);
            out.write(scratch.array(), 0, 4);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            out.write(scratch.array(), 0, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.write(b, 0, b.length);
        }

        void scalar(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> out.write((int) ((Number) v).longValue());
                case BOOL -> out.write((Boolean) v ? 1 : 0);
                case UINT16, INT16 -> {
                    long x = ((Number) v).longValue();
                    out.write((int) (x & 0xff));
                    out.write((int) ((x >> 8) & 0xff));
                }
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("nested array");
            }
        }

        long size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
