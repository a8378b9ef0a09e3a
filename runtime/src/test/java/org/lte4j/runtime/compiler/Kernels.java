package org.lte4j.runtime.compiler;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.Arrays;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;

/** Test utilities: find kernel methods by name, copy arrays, compare results. */
final class Kernels {
    private Kernels() {
    }

    static Method method(Class<?> owner, String name) {
        return Arrays.stream(owner.getDeclaredMethods()).filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no method " + name + " in " + owner));
    }

    @SuppressWarnings("unchecked")
    static <T extends NativeArray> T copy(T a) {
        NativeArray c = switch (a) {
            case FloatArray f -> new FloatArray(f.getSize());
            case IntArray i -> new IntArray(i.getSize());
            case HalfArray h -> new HalfArray(h.getSize());
            case ByteArray b -> new ByteArray(b.getSize());
        };
        MemorySegment.copy(a.segment(), 0, c.segment(), 0, a.byteSize());
        return (T) c;
    }

    static int[] ints(IntArray a) {
        int[] out = new int[(int) a.getSize()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i);
        return out;
    }

    static float[] floats(FloatArray a) {
        return a.toHeapArray();
    }

    /** Element-wise |device - jvm| <= abs + rel * |jvm|, bit-equal NaNs allowed. */
    static void assertClose(float[] jvm, float[] device, float abs, float rel, String what) {
        if (jvm.length != device.length) throw new AssertionError(what + ": lengths differ");
        for (int i = 0; i < jvm.length; i++) {
            float e = jvm[i];
            float g = device[i];
            if (Float.isNaN(e) && Float.isNaN(g) || e == g) continue;
            if (!(Math.abs(e - g) <= abs + rel * Math.abs(e))) {
                throw new AssertionError(what + "[" + i + "]: jvm " + e + " device " + g);
            }
        }
    }
}
