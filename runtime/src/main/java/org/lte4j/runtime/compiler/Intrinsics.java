package org.lte4j.runtime.compiler;

import java.util.List;
import java.util.function.Supplier;

import org.lte4j.runtime.compiler.Expr.BinOp;
import org.lte4j.runtime.compiler.Expr.Call;
import org.lte4j.runtime.compiler.Expr.Const;

/**
 * The Java methods a kernel may call that are not compiled from bytecode: Math, the Float/Double
 * bit conversions, Integer/Long helpers, and the instance methods of the kernel arrays and
 * KernelContext.
 */
final class Intrinsics {
    private Intrinsics() {
    }

    private static final String API = "org/lte4j/runtime/api/";

    /** Where a call is, for error messages. */
    record Site(int bci, String display, Failure failure) {
        KernelCompilationException fail(String construct, String why) {
            return failure.at(bci, construct, why);
        }
    }

    interface Failure {
        KernelCompilationException at(int bci, String construct, String why);
    }

    /**
     * The translation of an instance call: a pure {@code value}, or an {@code effect} (a store, or a
     * barrier/atomic whose {@code value} is its result), or a new work-group {@code localArray}.
     */
    record Result(Expr value, Stmt effect, IrType localArray, boolean usesContext, boolean usesBarrier) {
        static Result pure(Expr value) {
            return new Result(value, null, null, false, false);
        }
    }

    static Expr contextField(String name, Supplier<KernelCompilationException> unknown) {
        return switch (name) {
            case "globalIdx" -> new Expr.ContextValue(Expr.CtxField.GLOBAL_ID, 0);
            case "globalIdy" -> new Expr.ContextValue(Expr.CtxField.GLOBAL_ID, 1);
            case "localIdx" -> new Expr.ContextValue(Expr.CtxField.LOCAL_ID, 0);
            case "localIdy" -> new Expr.ContextValue(Expr.CtxField.LOCAL_ID, 1);
            case "groupIdx" -> new Expr.ContextValue(Expr.CtxField.GROUP_ID, 0);
            case "groupIdy" -> new Expr.ContextValue(Expr.CtxField.GROUP_ID, 1);
            case "globalGroupSizeX" -> new Expr.ContextValue(Expr.CtxField.GLOBAL_SIZE, 0);
            case "globalGroupSizeY" -> new Expr.ContextValue(Expr.CtxField.GLOBAL_SIZE, 1);
            case "localGroupSizeX" -> new Expr.ContextValue(Expr.CtxField.LOCAL_SIZE, 0);
            case "localGroupSizeY" -> new Expr.ContextValue(Expr.CtxField.LOCAL_SIZE, 1);
            default -> throw unknown.get();
        };
    }

    /** A static intrinsic, or null when {@code owner.name} is not one. */
    static Expr staticCall(String owner, String name, String desc, List<Expr> args, Site site) {
        return switch (owner) {
            case "java/lang/Math", "java/lang/StrictMath" -> math(name, desc, args);
            case "java/lang/Float" -> switch (name + desc) {
                case "floatToRawIntBits(F)I" -> call(Fn.FLOAT_TO_RAW_BITS, IrType.INT, args);
                case "floatToIntBits(F)I" -> call(Fn.FLOAT_TO_BITS, IrType.INT, args);
                case "intBitsToFloat(I)F" -> call(Fn.INT_BITS_TO_FLOAT, IrType.FLOAT, args);
                case "floatToFloat16(F)S" -> call(Fn.FLOAT_TO_HALF, IrType.INT, args);
                case "float16ToFloat(S)F" -> call(Fn.HALF_TO_FLOAT, IrType.FLOAT, args);
                case "isNaN(F)Z" -> call(Fn.IS_NAN, IrType.INT, args);
                case "isInfinite(F)Z" -> call(Fn.IS_INFINITE, IrType.INT, args);
                case "min(FF)F" -> call(Fn.FMIN, IrType.FLOAT, args);
                case "max(FF)F" -> call(Fn.FMAX, IrType.FLOAT, args);
                case "sum(FF)F" -> new Expr.Binary(BinOp.ADD, args.get(0), args.get(1), IrType.FLOAT);
                default -> null;
            };
            case "java/lang/Double" -> switch (name + desc) {
                case "doubleToRawLongBits(D)J" -> call(Fn.DOUBLE_TO_RAW_BITS, IrType.LONG, args);
                case "doubleToLongBits(D)J" -> call(Fn.DOUBLE_TO_BITS, IrType.LONG, args);
                case "longBitsToDouble(J)D" -> call(Fn.LONG_BITS_TO_DOUBLE, IrType.DOUBLE, args);
                case "isNaN(D)Z" -> call(Fn.IS_NAN, IrType.INT, args);
                case "isInfinite(D)Z" -> call(Fn.IS_INFINITE, IrType.INT, args);
                case "min(DD)D" -> call(Fn.FMIN, IrType.DOUBLE, args);
                case "max(DD)D" -> call(Fn.FMAX, IrType.DOUBLE, args);
                case "sum(DD)D" -> new Expr.Binary(BinOp.ADD, args.get(0), args.get(1), IrType.DOUBLE);
                default -> null;
            };
            case "java/lang/Integer", "java/lang/Long" -> {
                IrType t = owner.endsWith("Integer") ? IrType.INT : IrType.LONG;
                yield switch (name) {
                    case "min" -> call(Fn.IMIN, t, args);
                    case "max" -> call(Fn.IMAX, t, args);
                    case "sum" -> new Expr.Binary(BinOp.ADD, args.get(0), args.get(1), t);
                    case "bitCount" -> call(Fn.BIT_COUNT, IrType.INT, args);
                    case "numberOfLeadingZeros" -> call(Fn.LEADING_ZEROS, IrType.INT, args);
                    case "numberOfTrailingZeros" -> call(Fn.TRAILING_ZEROS, IrType.INT, args);
                    case "toUnsignedLong" -> new Expr.Binary(BinOp.AND, MethodTranslator.convert(Expr.Conv.I2L, args.get(0)),
                            new Const(IrType.LONG, 0xffffffffL), IrType.LONG);
                    default -> null;
                };
            }
            case "java/lang/Byte" -> name.equals("toUnsignedInt")
                    ? new Expr.Binary(BinOp.AND, args.get(0), Const.ofInt(0xff), IrType.INT) : null;
            case "java/lang/Short" -> name.equals("toUnsignedInt")
                    ? new Expr.Binary(BinOp.AND, args.get(0), Const.ofInt(0xffff), IrType.INT) : null;
            case API + "PackedBytes" -> (name + desc).equals("dot(II)I") ? call(Fn.PACKED_BYTE_DOT, IrType.INT, args) : null;
            default -> null;
        };
    }

    private static Expr math(String name, String desc, List<Expr> args) {
        IrType t = args.isEmpty() ? null : args.getFirst().type();
        Fn unaryDouble = switch (name) {
            case "sqrt" -> Fn.SQRT;
            case "cbrt" -> Fn.CBRT;
            case "exp" -> Fn.EXP;
            case "expm1" -> Fn.EXPM1;
            case "log" -> Fn.LOG;
            case "log10" -> Fn.LOG10;
            case "log1p" -> Fn.LOG1P;
            case "sin" -> Fn.SIN;
            case "cos" -> Fn.COS;
            case "tan" -> Fn.TAN;
            case "asin" -> Fn.ASIN;
            case "acos" -> Fn.ACOS;
            case "atan" -> Fn.ATAN;
            case "sinh" -> Fn.SINH;
            case "cosh" -> Fn.COSH;
            case "tanh" -> Fn.TANH;
            case "floor" -> Fn.FLOOR;
            case "ceil" -> Fn.CEIL;
            case "rint" -> Fn.RINT;
            case "pow" -> Fn.POW;
            case "atan2" -> Fn.ATAN2;
            case "hypot" -> Fn.HYPOT;
            default -> null;
        };
        if (unaryDouble != null) {
            return desc.startsWith("(D") ? call(unaryDouble, IrType.DOUBLE, args) : null;
        }
        return switch (name) {
            case "abs" -> call(t.isFloating() ? Fn.FABS : Fn.IABS, t, args);
            case "min" -> call(t.isFloating() ? Fn.FMIN : Fn.IMIN, t, args);
            case "max" -> call(t.isFloating() ? Fn.FMAX : Fn.IMAX, t, args);
            case "fma" -> call(Fn.FMA, t, args);
            case "signum" -> call(Fn.SIGNUM, t, args);
            case "round" -> call(Fn.ROUND, t.kind() == IrType.Kind.FLOAT ? IrType.INT : IrType.LONG, args);
            case "toRadians" -> new Expr.Binary(BinOp.MUL, args.get(0), new Const(IrType.DOUBLE, Math.toRadians(1.0)), IrType.DOUBLE);
            case "toDegrees" -> new Expr.Binary(BinOp.MUL, args.get(0), new Const(IrType.DOUBLE, Math.toDegrees(1.0)), IrType.DOUBLE);
            default -> null;
        };
    }

    private static Expr call(Fn fn, IrType type, List<Expr> args) {
        return new Call(fn, List.copyOf(args), type);
    }

    /** An index argument: the {@code (long) i} javac inserts for {@code get(long)} is dropped. */
    private static Expr index(Expr e) {
        return e instanceof Expr.Convert c && c.op() == Expr.Conv.I2L ? c.a() : e;
    }

    static Result instanceCall(String owner, String name, String desc, Expr receiver, List<Expr> args, Site site,
                               boolean inKernelMethod) {
        IrType.Kind rk = receiver.type().kind();
        boolean array = rk == IrType.Kind.FLOAT_ARRAY || rk == IrType.Kind.HALF_ARRAY || rk == IrType.Kind.INT_ARRAY
                || rk == IrType.Kind.BYTE_ARRAY;
        if (array && owner.startsWith(API)) {
            return arrayCall(name, desc, receiver, args, site);
        }
        if (rk == IrType.Kind.CONTEXT && owner.equals(API + "KernelContext")) {
            return contextCall(name, desc, args, site, inKernelMethod);
        }
        throw site.fail("instance call " + site.display() + desc, "only the methods of the kernel arrays and KernelContext can be called on objects in kernels");
    }

    private static Result arrayCall(String name, String desc, Expr array, List<Expr> args, Site site) {
        IrType.Kind k = array.type().kind();
        switch (name + desc) {
            case "get(J)F", "get(J)I", "get(J)B" -> {
                IrType t = k == IrType.Kind.INT_ARRAY || k == IrType.Kind.BYTE_ARRAY ? IrType.INT : IrType.FLOAT;
                return Result.pure(new Expr.Load(array, index(args.get(0)), t));
            }
            case "set(JF)V", "set(JI)V", "set(JB)V" -> {
                return new Result(null, new Stmt.Store(array, index(args.get(0)), args.get(1)), null, false, false);
            }
            case "getRaw(J)S" -> {
                return Result.pure(new Call(Fn.HALF_GET_RAW, List.of(array, index(args.get(0))), IrType.INT));
            }
            case "getHalf(J)F" -> {
                return Result.pure(new Call(Fn.BYTE_GET_HALF, List.of(array, index(args.get(0))), IrType.FLOAT));
            }
            case "getSize()J" -> throw site.fail("getSize()",
                    "a kernel receives arrays as bare device pointers, so their length is unknown there; pass the length as an int parameter");
            default -> throw site.fail("call " + site.display() + desc, "this array method cannot be used in kernels (get, set"
                    + (k == IrType.Kind.HALF_ARRAY ? ", getRaw" : k == IrType.Kind.BYTE_ARRAY ? ", getHalf" : "") + " can)");
        }
    }

    private static Result contextCall(String name, String desc, List<Expr> args, Site site, boolean inKernelMethod) {
        switch (name + desc) {
            case "localBarrier()V", "globalBarrier()V" -> {
                return new Result(null, new Stmt.Eval(new Call(Fn.BARRIER, List.of(), null)), null, true, true);
            }
            case "globalMemoryFence()V" -> {
                return new Result(null, new Stmt.Eval(new Call(Fn.GLOBAL_FENCE, List.of(), null)), null, true, false);
            }
            case "prefetchToCache(Lorg/lte4j/runtime/api/NativeArray;JI)V" -> {
                Expr arr = args.get(0);
                IrType.Kind k = arr.type().kind();
                if (k != IrType.Kind.FLOAT_ARRAY && k != IrType.Kind.HALF_ARRAY && k != IrType.Kind.INT_ARRAY && k != IrType.Kind.BYTE_ARRAY) {
                    throw site.fail("prefetchToCache", "only a kernel array parameter (global memory) can be prefetched");
                }
                return new Result(null, new Stmt.Eval(new Call(Fn.PREFETCH, List.of(arr, index(args.get(1)), args.get(2)), null)),
                        null, true, false);
            }
            case "awaitPrecedingKernel()V" -> {
                if (!inKernelMethod) {
                    throw site.fail("awaitPrecedingKernel()", "the wait for the preceding kernel must be in the kernel method itself "
                            + "(the compiler places the wait at the kernel's start unless the kernel method calls it)");
                }
                return new Result(null, new Stmt.Eval(new Call(Fn.AWAIT_PRECEDING, List.of(), null)), null, true, false);
            }
            case "allocateFloatLocalArray(I)[F", "allocateIntLocalArray(I)[I" -> {
                if (!inKernelMethod) {
                    throw site.fail(name + "(...)", "local arrays must be allocated in the kernel method itself (OpenCL declares them at kernel scope); pass the array to the helper");
                }
                if (!(args.getFirst() instanceof Const c)) {
                    throw site.fail(name + "(size)", "the size must be a compile-time constant or a specialised parameter");
                }
                int n = c.value().intValue();
                if (n <= 0) {
                    throw site.fail(name + "(" + n + ")", "the size must be positive");
                }
                IrType.Elem elem = name.startsWith("allocateFloat") ? IrType.Elem.FLOAT : IrType.Elem.INT;
                return new Result(null, null, IrType.javaArray(elem, IrType.Space.LOCAL, n), true, false);
            }
            case "atomicAdd(Lorg/lte4j/runtime/api/IntArray;II)I", "atomicAdd(Lorg/lte4j/runtime/api/FloatArray;IF)F",
                 "atomicAdd([III)I" -> {
                Expr arr = args.get(0);
                if (arr.type().kind() == IrType.Kind.JAVA_ARRAY && arr.type().space() != IrType.Space.LOCAL) {
                    throw site.fail("atomicAdd on a private array", "atomics need an array from allocateIntLocalArray or a global IntArray/FloatArray");
                }
                IrType t = desc.endsWith("F") ? IrType.FLOAT : IrType.INT;
                Call call = new Call(Fn.ATOMIC_ADD, List.of(arr, args.get(1), args.get(2)), t);
                return new Result(call, new Stmt.Eval(call), null, true, false);
            }
            default -> throw site.fail("KernelContext." + name + desc, "this KernelContext method is not supported by the compiler");
        }
    }
}
