package org.lte4j.runtime.compiler;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * How a kernel parameter crosses to the device. The device ABI is: every Java parameter in
 * order, except {@link #CONTEXT}, which is implicit. Arrays are global pointers; scalars are
 * passed by value (int, long, float, double as their C types; boolean as int).
 */
public enum ParamKind {
    FLOAT_ARRAY(FloatArray.class), HALF_ARRAY(HalfArray.class), INT_ARRAY(IntArray.class), BYTE_ARRAY(ByteArray.class),
    INT(int.class), LONG(long.class), FLOAT(float.class), DOUBLE(double.class), BOOLEAN(boolean.class),
    CONTEXT(KernelContext.class);

    public final Class<?> javaType;

    ParamKind(Class<?> javaType) {
        this.javaType = javaType;
    }

    public boolean isArray() {
        return this == FLOAT_ARRAY || this == HALF_ARRAY || this == INT_ARRAY || this == BYTE_ARRAY;
    }

    public boolean isScalar() {
        return !isArray() && this != CONTEXT;
    }

    /** The kind for a Java parameter type, or null when the type cannot be a kernel parameter. */
    public static ParamKind of(Class<?> type) {
        for (ParamKind k : values()) {
            if (k.javaType == type) {
                return k;
            }
        }
        return null;
    }
}
