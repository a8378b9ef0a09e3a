package org.lte4j.runtime.compiler;

import java.util.List;

/** A side-effect-free (or, for {@link Call}s of side-effecting {@link Fn}s, statement-position) IR value. */
sealed interface Expr {
    IrType type();

    /** A literal: Integer, Long, Float or Double. */
    record Const(IrType type, Number value) implements Expr {
        static Const ofInt(int v) {
            return new Const(IrType.INT, v);
        }
    }

    /** A C variable: a Java local ({@code slot >= 0}), an operand-stack slot, a temporary or a parameter. */
    record Var(String name, IrType type, int slot) implements Expr {
    }

    enum BinOp {
        ADD("+"), SUB("-"), MUL("*"), DIV("/"), REM("%"), AND("&"), OR("|"), XOR("^"), SHL("<<"), SHR(">>"), USHR(">>>");

        final String c;

        BinOp(String c) {
            this.c = c;
        }
    }

    record Binary(BinOp op, Expr a, Expr b, IrType type) implements Expr {
    }

    record Neg(Expr a) implements Expr {
        @Override
        public IrType type() {
            return a.type();
        }
    }

    enum Conv {
        I2L(IrType.LONG), I2F(IrType.FLOAT), I2D(IrType.DOUBLE), L2I(IrType.INT), L2F(IrType.FLOAT), L2D(IrType.DOUBLE),
        F2I(IrType.INT), F2L(IrType.LONG), F2D(IrType.DOUBLE), D2I(IrType.INT), D2L(IrType.LONG), D2F(IrType.FLOAT),
        I2B(IrType.INT), I2C(IrType.INT), I2S(IrType.INT);

        final IrType to;

        Conv(IrType to) {
            this.to = to;
        }
    }

    record Convert(Conv op, Expr a) implements Expr {
        @Override
        public IrType type() {
            return op.to;
        }
    }

    enum Cond {
        EQ("=="), NE("!="), LT("<"), GE(">="), GT(">"), LE("<=");

        final String c;

        Cond(String c) {
            this.c = c;
        }

        Cond negate() {
            return switch (this) {
                case EQ -> NE;
                case NE -> EQ;
                case LT -> GE;
                case GE -> LT;
                case GT -> LE;
                case LE -> GT;
            };
        }
    }

    /**
     * {@code a cond b} as an int 0/1. For floating operands {@code nanIsTrue} is the result Java gives
     * when either side is NaN (it depends on fcmpl vs fcmpg), which the emitter honours.
     */
    record Compare(Cond cond, Expr a, Expr b, boolean nanIsTrue) implements Expr {
        @Override
        public IrType type() {
            return IrType.INT;
        }
    }

    /** lcmp/fcmpl/fcmpg/dcmpl/dcmpg used as a value: -1, 0 or 1 ({@code nanResult} when unordered). */
    record Cmp3(Expr a, Expr b, int nanResult) implements Expr {
        @Override
        public IrType type() {
            return IrType.INT;
        }
    }

    /** An element read from a kernel array or a Java array. */
    record Load(Expr array, Expr index, IrType type) implements Expr {
    }

    /** A built-in: math, bit casts, fp16 conversions, barriers, atomics. */
    record Call(Fn fn, List<Expr> args, IrType type) implements Expr {
    }

    /** A call to another compiled static method, emitted as a C helper function. */
    record HelperCall(String function, List<Expr> args, IrType type) implements Expr {
    }

    enum CtxField { GLOBAL_ID, LOCAL_ID, GROUP_ID, GLOBAL_SIZE, LOCAL_SIZE }

    /** A KernelContext field: {@code field} in dimension {@code dim} (0 = x, 1 = y). */
    record ContextValue(CtxField field, int dim) implements Expr {
        @Override
        public IrType type() {
            return IrType.INT;
        }
    }

    /** The storage of a Java array allocated in the kernel (private) or by allocate*LocalArray (local). */
    record ArrayRef(String name, IrType type, int length) implements Expr {
    }

    /** The implicit KernelContext. */
    record ContextRef() implements Expr {
        @Override
        public IrType type() {
            return IrType.CONTEXT;
        }
    }
}
