package org.lte4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Lenient reading of metadata values as the GGUF reader and JSON parser hand them over: any
 * {@code Number} for integers and floats, {@code List} or a Java array for arrays.
 */
final class MetadataValues {
    private MetadataValues() {
    }

    static List<?> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            return l;
        }
        if (v instanceof Object[] a) {
            return Arrays.asList(a);
        }
        if (v instanceof int[] a) {
            return Arrays.stream(a).boxed().toList();
        }
        if (v instanceof long[] a) {
            return Arrays.stream(a).boxed().toList();
        }
        if (v instanceof float[] a) {
            List<Float> out = new ArrayList<>(a.length);
            for (float f : a) {
                out.add(f);
            }
            return out;
        }
        if (v instanceof double[] a) {
            return Arrays.stream(a).boxed().toList();
        }
        throw new TokenizerFormatException(key + " should be an array, found " + v.getClass().getSimpleName());
    }

    static List<String> strings(Map<String, Object> m, String key) {
        List<?> l = list(m, key);
        if (l == null) {
            return null;
        }
        List<String> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof String s)) {
                throw new TokenizerFormatException(key + "[" + i + "] should be a string, found " + describe(l.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    static float[] floats(Map<String, Object> m, String key) {
        List<?> l = list(m, key);
        if (l == null) {
            return null;
        }
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number x)) {
                throw new TokenizerFormatException(key + "[" + i + "] should be a number, found " + describe(l.get(i)));
            }
            out[i] = x.floatValue();
        }
        return out;
    }

    static int[] ints(Map<String, Object> m, String key) {
        List<?> l = list(m, key);
        if (l == null) {
            return null;
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number x)) {
                throw new TokenizerFormatException(key + "[" + i + "] should be an integer, found " + describe(l.get(i)));
            }
            out[i] = x.intValue();
        }
        return out;
    }

    /** An integer scalar, or {@code absent} when the key is missing. */
    static int integer(Map<String, Object> m, String key, int absent) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Number x)) {
            throw new TokenizerFormatException(key + " should be an integer, found " + describe(v));
        }
        return x.intValue();
    }

    static boolean bool(Map<String, Object> m, String key, boolean absent) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Boolean b)) {
            throw new TokenizerFormatException(key + " should be a boolean, found " + describe(v));
        }
        return b;
    }

    static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new TokenizerFormatException(key + " should be a string, found " + describe(v));
        }
        return s;
    }

    static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
    }
}
