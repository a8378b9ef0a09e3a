package org.lte4j.model.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.KQuants;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.Tensor;

/**
 * A GGUF file (versions 2 and 3), memory-mapped. Tensors are views of the mapping; nothing the
 * header claims is allocated before it has been checked against the file's size.
 *
 * <p>Metadata values are exposed as: every integer type -> {@link Long} (UINT64 values above
 * {@code Long.MAX_VALUE} wrap to negative: read them with {@link Long#toUnsignedString}),
 * FLOAT32 and FLOAT64 -> {@link Double}, BOOL -> {@link Boolean}, STRING -> {@link String}
 * (UTF-8), ARRAY -> an unmodifiable {@code List<Object>} of the same. {@link #typeOf} and
 * {@link #arrayTypeOf} give the stored types.
 *
 * <p>Every malformed input throws {@link ModelFormatException} naming the file, the key or
 * tensor, and the byte offset.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final Map<String, GgufValueType> arrayTypes;
    private final Map<String, GgufTensorInfo> tensorInfos;
    private final long alignment;
    private final long dataStart;
    private final Arena converted = Arena.ofShared(); // tensors converted at load (Q4_K, Q6_K -> Q8_0)

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader(path, file);
        r.item = "header";
        int magic = r.u32();
        if (magic != MAGIC) {
            throw r.error(0, String.format("not a GGUF file: magic 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        version = r.u32();
        if (version != 2 && version != 3) {
            throw r.error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        long tensorCount = r.count(8 + 4 + 8 + 4 + 8, "tensor count"); // smallest tensor info
        long kvCount = r.count(4 + 8 + 4, "metadata key/value count"); // key length + value type + smallest value
        metadata = new LinkedHashMap<>();
        types = new LinkedHashMap<>();
        arrayTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = r.pos;
            r.item = "metadata #" + i;
            String key = r.string();
            r.item = key;
            if (metadata.containsKey(key)) {
                throw r.error(at, "duplicate metadata key");
            }
            GgufValueType type = r.valueType();
            if (type == GgufValueType.ARRAY) {
                long typeAt = r.pos;
                GgufValueType elem = r.valueType();
                r.pos = typeAt;
                arrayTypes.put(key, elem);
            }
            types.put(key, type);
            metadata.put(key, r.value(type, 0));
        }
        alignment = readAlignment(r);
        tensorInfos = new LinkedHashMap<>();
        List<long[]> pending = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<GgmlType> ttypes = new ArrayList<>();
        List<Long> infoOffsets = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            r.item = "tensor info #" + i;
            String name = r.string();
            r.item = name;
            long dimsAt = r.pos;
            int nDims = r.u32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw r.error(dimsAt, "tensor has " + Integer.toUnsignedString(nDims) + " dimensions (1.." + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = r.pos;
                long dim = r.u64();
                if (dim < 0 || dim > Integer.MAX_VALUE) {
                    throw r.error(dimAt, "dimension " + d + " is " + Long.toUnsignedString(dim) + ", beyond what a row or row count can be");
                }
                shape[nDims - 1 - d] = dim; // GGUF lists the innermost dimension first
                try {
                    elements = Math.multiplyExact(elements, dim);
                } catch (ArithmeticException overflow) {
                    throw r.error(dimAt, "element count overflows");
                }
            }
            long typeAt = r.pos;
            int typeId = r.u32();
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw r.error(typeAt, "unknown tensor type id " + Integer.toUnsignedString(typeId));
            }
            if (shape[nDims - 1] % type.blockSize != 0) {
                throw r.error(dimsAt, "row length " + shape[nDims - 1] + " is not a multiple of the " + type
                        + " block size " + type.blockSize);
            }
            long offAt = r.pos;
            long offset = r.u64();
            if (offset < 0 || offset % alignment != 0) {
                throw r.error(offAt, "tensor data offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            names.add(name);
            ttypes.add(type);
            pending.add(shape);
            infoOffsets.add(offAt);
            offsets.add(offset);
        }
        if (new java.util.HashSet<>(names).size() != names.size()) {
            for (int i = 0; i < names.size(); i++) {
                if (names.indexOf(names.get(i)) != i) {
                    throw new ModelFormatException(path, names.get(i), infoOffsets.get(i), "duplicate tensor name");
                }
            }
        }
        dataStart = align(r.pos, alignment);
        if (tensorCount > 0 && dataStart > file.byteSize()) {
            throw new ModelFormatException(path, "data section", r.pos, "data section starts at " + dataStart
                    + ", past the end of the file (" + file.byteSize() + " bytes)");
        }
        for (int i = 0; i < names.size(); i++) {
            GgmlType type = ttypes.get(i);
            long[] shape = pending.get(i);
            long bytes;
            try {
                bytes = type.bytesFor(Tensor.elementCount(shape));
            } catch (ArithmeticException overflow) {
                throw new ModelFormatException(path, names.get(i), infoOffsets.get(i), "tensor byte size overflows");
            }
            long start = dataStart + offsets.get(i);
            if (offsets.get(i) > file.byteSize() || bytes > file.byteSize() - start) {
                throw new ModelFormatException(path, names.get(i), infoOffsets.get(i), "tensor data [" + start + ", "
                        + (start + bytes) + ") extends past the end of the file (" + file.byteSize() + " bytes)");
            }
            tensorInfos.put(names.get(i), new GgufTensorInfo(names.get(i), type, shape, offsets.get(i), start, bytes,
                    infoOffsets.get(i)));
        }
    }

    /** Maps and parses {@code path}. Close the result to unmap. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    private long readAlignment(Reader r) {
        Object a = metadata.get("general.alignment");
        if (a == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(a instanceof Long v) || !types.get("general.alignment").isInteger() || v <= 0 || Long.bitCount(v) != 1
                || v > (1 << 20)) {
            throw new ModelFormatException(path, "general.alignment", -1,
                    "alignment must be a power of two integer up to 2^20, is " + a);
        }
        return v;
    }

    static long align(long pos, long alignment) {
        return (pos + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public long alignment() {
        return alignment;
    }

    /** Absolute file offset of the tensor data section. */
    public long dataStart() {
        return dataStart;
    }

    /** All metadata in file order; see the class comment for the value types. */
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** The stored type of {@code key}, or null when absent. */
    public GgufValueType typeOf(String key) {
        return types.get(key);
    }

    /** The element type of array {@code key}, or null when absent or not an array. */
    public GgufValueType arrayTypeOf(String key) {
        return arrayTypes.get(key);
    }

    public List<GgufTensorInfo> tensorInfos() {
        return List.copyOf(tensorInfos.values());
    }

    public boolean hasTensor(String name) {
        return tensorInfos.containsKey(name);
    }

    /**
     * The tensor {@code name} as a view of the mapping. Q4_K and Q6_K tensors are converted to
     * Q8_0 (dequantised exactly, then quantised with GGML's Q8_0 rule) into memory this file owns.
     */
    public Tensor tensor(String name) {
        GgufTensorInfo info = tensorInfos.get(name);
        if (info == null) {
            throw new ModelFormatException(path, name, -1, "tensor not found");
        }
        MemorySegment bytes = file.asSlice(info.fileOffset(), info.byteSize());
        GgmlType type = info.type();
        if (type.computable) {
            try {
                return Tensor.of(name, type, info.shape(), bytes);
            } catch (ArithmeticException | IllegalArgumentException e) {
                throw new ModelFormatException(path, name, info.infoOffset(), "cannot view tensor of shape "
                        + Arrays.toString(info.shape()) + ": " + e.getMessage(), e);
            }
        }
        if (type == GgmlType.Q4_K || type == GgmlType.Q6_K) {
            if (Tensor.elementCount(info.shape()) > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(path, name, info.infoOffset(), "k-quant tensor too large to convert");
            }
            float[] values = KQuants.dequantize(type, bytes, Math.toIntExact(Tensor.elementCount(info.shape())));
            return Tensor.fromFloats(name, GgmlType.Q8_0, info.shape(), values, converted);
        }
        throw new ModelFormatException(path, name, info.infoOffset(), "unsupported tensor type " + type);
    }

    /** Metadata {@code key} as a string; a clear error if absent or of another type. */
    public String getString(String key) {
        return (String) require(key, String.class);
    }

    /** Integer metadata {@code key}; a clear error if absent, not an integer, or outside int range. */
    public int getInt(String key) {
        long v = (Long) require(key, Long.class);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ModelFormatException(path, key, -1, "value " + v + " is outside the int range");
        }
        return (int) v;
    }

    public int getInt(String key, int defaultValue) {
        return metadata.containsKey(key) ? getInt(key) : defaultValue;
    }

    /** Floating point (or integer) metadata {@code key}. */
    public double getDouble(String key) {
        Object v = require(key, Number.class);
        return ((Number) v).doubleValue();
    }

    public double getDouble(String key, double defaultValue) {
        return metadata.containsKey(key) ? getDouble(key) : defaultValue;
    }

    private Object require(String key, Class<?> type) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new ModelFormatException(path, key, -1, "required metadata key is missing");
        }
        if (!type.isInstance(v)) {
            throw new ModelFormatException(path, key, -1, "metadata has type " + types.get(key) + ", expected "
                    + type.getSimpleName());
        }
        return v;
    }

    /** Unmaps the file; tensors obtained from it must no longer be used. */
    @Override
    public void close() {
        converted.close();
        arena.close();
    }

    /** Bounds-checked little-endian reads; every error names the current item and offset. */
    private static final class Reader {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        /** Arrays nested deeper than this are refused (bounds recursion on hostile input). */
        private static final int MAX_NESTING = 8;
        /**
         * Limits that keep a corrupt count inside a multi-gigabyte file from filling the heap with
         * boxed values: far above any real vocabulary (~256k) or chat template / embedded
         * tokenizer.json string.
         */
        static final long MAX_ARRAY_LENGTH = 1 << 24;
        static final long MAX_STRING_BYTES = 64L << 20;

        final Path path;
        final MemorySegment seg;
        final long size;
        long pos;
        String item;

        Reader(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        ModelFormatException error(long offset, String problem) {
            return new ModelFormatException(path, item, offset, problem);
        }

        void need(long n) {
            if (n > size - pos) {
                throw error(pos, "file truncated: need " + n + " bytes, " + (size - pos) + " left of " + size);
            }
        }

        long remaining() {
            return size - pos;
        }

        int u8() {
            need(1);
            return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff;
        }

        short i16() {
            need(2);
            short v = seg.get(I16, pos);
            pos += 2;
            return v;
        }

        int u32() {
            need(4);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64() {
            need(8);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A u64 count whose items take at least {@code minBytes} each: bounded by what is left. */
        long count(long minBytes, String what) {
            long at = pos;
            long n = u64();
            if (n < 0 || n > remaining() / minBytes) {
                throw error(at, what + " " + Long.toUnsignedString(n) + " cannot fit in the " + remaining()
                        + " bytes left in the file");
            }
            return n;
        }

        String string() {
            long len = count(1, "string length");
            if (len > MAX_STRING_BYTES) {
                throw error(pos - 8, "string length " + len + " exceeds the reader's limit of " + MAX_STRING_BYTES);
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        GgufValueType valueType() {
            long at = pos;
            int id = u32();
            GgufValueType t = GgufValueType.byId(Integer.toUnsignedLong(id));
            if (t == null) {
                throw error(at, "unknown metadata value type " + Integer.toUnsignedString(id));
            }
            return t;
        }

        Object value(GgufValueType type, int depth) {
            long at = pos;
            return switch (type) {
                case UINT8 -> (long) u8();
                case INT8 -> (long) (byte) u8();
                case UINT16 -> (long) (i16() & 0xffff);
                case INT16 -> (long) i16();
                case UINT32 -> Integer.toUnsignedLong(u32());
                case INT32 -> (long) u32();
                case UINT64, INT64 -> u64();
                case FLOAT32 -> {
                    need(4);
                    float f = seg.get(F32, pos);
                    pos += 4;
                    yield (double) f;
                }
                case FLOAT64 -> {
                    need(8);
                    double d = seg.get(F64, pos);
                    pos += 8;
                    yield d;
                }
                case BOOL -> {
                    int b = u8();
                    if (b > 1) {
                        throw error(at, "bool value " + b + " is neither 0 nor 1");
                    }
                    yield b == 1;
                }
                case STRING -> string();
                case ARRAY -> {
                    if (depth >= MAX_NESTING) {
                        throw error(at, "arrays nested deeper than " + MAX_NESTING);
                    }
                    GgufValueType elem = valueType();
                    long n = count(elem.minBytes, "array length");
                    if (n > MAX_ARRAY_LENGTH) {
                        throw error(pos - 8, "array length " + n + " exceeds the reader's limit of " + MAX_ARRAY_LENGTH);
                    }
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 16));
                    for (long i = 0; i < n; i++) {
                        list.add(value(elem, depth + 1));
                    }
                    yield Collections.unmodifiableList(list);
                }
            };
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensorInfos.size()
                + " tensors " + Arrays.toString(tensorInfos.keySet().stream().limit(3).toArray()) + "...]";
    }
}
