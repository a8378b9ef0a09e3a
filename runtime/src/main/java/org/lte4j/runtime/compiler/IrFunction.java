package org.lte4j.runtime.compiler;

import java.util.List;
import java.util.Map;

/**
 * One compiled method: the kernel entry or a helper. {@code params} are the C parameters (the
 * KernelContext is implicit and has none), {@code variables} every other C variable by name,
 * {@code arrays} the storage of Java arrays (private or local), blocks in bytecode order.
 */
record IrFunction(String name, String javaName, boolean kernel, IrType returnType, List<Expr.Var> params,
                  Map<String, IrType> variables, List<Expr.ArrayRef> arrays, List<Block> blocks) {

    /** A basic block: bytecode range [startBci, endBci), first source line (or -1). */
    record Block(int startBci, int endBci, int line, List<Stmt> stmts) {
    }
}
