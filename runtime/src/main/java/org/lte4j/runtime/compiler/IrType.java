package org.lte4j.runtime.compiler;

/**
 * The type of an IR value. Java's int-like types (boolean, byte, short, char) are all {@link Kind#INT}
 * on the operand stack, as in the JVM; they only matter as array elements ({@link Elem}). References
 * are the kernel arrays (device pointers), the implicit KernelContext, and small Java arrays that live
 * in private or work-group local memory.
 */
record IrType(Kind kind, Elem elem, Space space, int length) {

    enum Kind { INT, LONG, FLOAT, DOUBLE, FLOAT_ARRAY, HALF_ARRAY, INT_ARRAY, BYTE_ARRAY, CONTEXT, JAVA_ARRAY }

    /** Element type of a Java array ({@code new float[16]}, {@code allocateFloatLocalArray}). */
    enum Elem {
        BOOLEAN("uchar", "unsigned char"), BYTE("char", "signed char"), CHAR("ushort", "unsigned short"),
        SHORT("short", "short"), INT("int", "int"), LONG("long", "long long"), FLOAT("float", "float"),
        DOUBLE("double", "double");

        final String openCl;
        final String cuda;

        Elem(String openCl, String cuda) {
            this.openCl = openCl;
            this.cuda = cuda;
        }

        /** The IR type a load of this element yields. */
        IrType valueType() {
            return switch (this) {
                case LONG -> IrType.LONG;
                case FLOAT -> IrType.FLOAT;
                case DOUBLE -> IrType.DOUBLE;
                default -> IrType.INT;
            };
        }
    }

    /** Where a Java array lives on the device. */
    enum Space { PRIVATE, LOCAL }

    static final IrType INT = new IrType(Kind.INT, null, null, 0);
    static final IrType LONG = new IrType(Kind.LONG, null, null, 0);
    static final IrType FLOAT = new IrType(Kind.FLOAT, null, null, 0);
    static final IrType DOUBLE = new IrType(Kind.DOUBLE, null, null, 0);
    static final IrType FLOAT_ARRAY = new IrType(Kind.FLOAT_ARRAY, Elem.FLOAT, null, 0);
    static final IrType HALF_ARRAY = new IrType(Kind.HALF_ARRAY, null, null, 0);
    static final IrType INT_ARRAY = new IrType(Kind.INT_ARRAY, Elem.INT, null, 0);
    static final IrType BYTE_ARRAY = new IrType(Kind.BYTE_ARRAY, Elem.BYTE, null, 0);
    static final IrType CONTEXT = new IrType(Kind.CONTEXT, null, null, 0);

    static IrType javaArray(Elem elem, Space space, int length) {
        return new IrType(Kind.JAVA_ARRAY, elem, space, length);
    }

    boolean isPrimitive() {
        return kind == Kind.INT || kind == Kind.LONG || kind == Kind.FLOAT || kind == Kind.DOUBLE;
    }

    boolean isWide() {
        return kind == Kind.LONG || kind == Kind.DOUBLE;
    }

    boolean isFloating() {
        return kind == Kind.FLOAT || kind == Kind.DOUBLE;
    }

    /** A short tag used in generated variable names. */
    String tag() {
        return switch (kind) {
            case INT -> "i";
            case LONG -> "l";
            case FLOAT -> "f";
            case DOUBLE -> "d";
            case FLOAT_ARRAY -> "fa";
            case HALF_ARRAY -> "ha";
            case INT_ARRAY -> "ia";
            case BYTE_ARRAY -> "ba";
            case CONTEXT -> "ctx";
            case JAVA_ARRAY -> (space == Space.LOCAL ? "l" : "p") + elem.name().charAt(0) + "arr";
        };
    }

    static IrType forParam(ParamKind kind) {
        return switch (kind) {
            case FLOAT_ARRAY -> FLOAT_ARRAY;
            case HALF_ARRAY -> HALF_ARRAY;
            case INT_ARRAY -> INT_ARRAY;
            case BYTE_ARRAY -> BYTE_ARRAY;
            case INT, BOOLEAN -> INT;
            case LONG -> LONG;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case CONTEXT -> CONTEXT;
        };
    }

    @Override
    public String toString() {
        return kind == Kind.JAVA_ARRAY ? space.name().toLowerCase() + " " + elem.name().toLowerCase() + "[" + length + "]"
                : kind.name().toLowerCase();
    }
}
