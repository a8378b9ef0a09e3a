package org.lte4j.runtime.compiler;

/** An IR statement; control transfers name target blocks by their start bytecode index. */
sealed interface Stmt {
    record Assign(Expr.Var target, Expr value) implements Stmt {
    }

    /** {@code array[index] = value} on a kernel array or a Java array. */
    record Store(Expr array, Expr index, Expr value) implements Stmt {
    }

    /** A call evaluated for its effect. */
    record Eval(Expr call) implements Stmt {
    }

    /** Java zero-initialises a new array each time the allocation runs. */
    record ZeroFill(Expr.ArrayRef array) implements Stmt {
    }

    record Goto(int target) implements Stmt {
    }

    record Branch(Expr cond, int ifTrue, int ifFalse) implements Stmt {
    }

    record Switch(Expr key, int[] keys, int[] targets, int defaultTarget) implements Stmt {
    }

    /** {@code value} is null for a void return. */
    record Return(Expr value) implements Stmt {
    }

    record Comment(String text) implements Stmt {
    }
}
