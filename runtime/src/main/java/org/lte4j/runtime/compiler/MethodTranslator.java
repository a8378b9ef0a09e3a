package org.lte4j.runtime.compiler;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LocalVariable;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.reflect.AccessFlag;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

import org.lte4j.runtime.compiler.Expr.BinOp;
import org.lte4j.runtime.compiler.Expr.Cond;
import org.lte4j.runtime.compiler.Expr.Const;
import org.lte4j.runtime.compiler.Expr.Conv;
import org.lte4j.runtime.compiler.Expr.Var;

/**
 * Bytecode of one method -> {@link IrFunction}. Basic blocks start at branch targets; each block is
 * translated with a symbolic operand stack (expressions, so the C reads like the Java), which is
 * written to one variable per (stack depth, type) when control leaves the block. Java locals become
 * one C variable per (slot, type). Blocks are translated from a worklist so that the reference type
 * held in each local (which kernel array, which private/local array) is known at every load.
 */
final class MethodTranslator {
    /** One instruction with its bytecode index and source line. */
    record Insn(int bci, int line, Instruction ins) {
    }

    private record State(IrType[] locals, List<IrType> stack) {
        State copy() {
            return new State(locals.clone(), new ArrayList<>(stack));
        }
    }

    private record LvtEntry(int slot, String name, String descriptor) {
    }

    private final CompileSession session;
    private final ClassFiles.LoadedMethod method;
    private final boolean kernel;
    private final List<IrType> paramTypes; // one per Java parameter
    private final String functionName;
    private final List<Insn> insns = new ArrayList<>();
    private final Map<Integer, Integer> indexOfBci = new HashMap<>();
    private final List<LvtEntry> lvt = new ArrayList<>();
    private final TreeSet<Integer> leaders = new TreeSet<>();
    private final Set<Integer> storedSlots = new HashSet<>();
    private final Map<Integer, Integer> paramIndexOfSlot = new HashMap<>();
    private final Map<String, IrType> variables = new LinkedHashMap<>();
    private final Map<String, String> localNames = new HashMap<>();
    private final Map<Integer, Expr.ArrayRef> arrays = new TreeMap<>();
    private final Map<Integer, IrFunction.Block> blocks = new TreeMap<>();
    private ParallelLoops parallel;
    private int temps;
    private int localArrays;
    private final IrType returnType;

    MethodTranslator(CompileSession session, ClassFiles.LoadedMethod method, boolean kernel, List<IrType> paramTypes,
                     String functionName) {
        this.session = session;
        this.method = method;
        this.kernel = kernel;
        this.paramTypes = paramTypes;
        this.functionName = functionName;
        this.returnType = returnTypeOf(method.descriptor());
    }

    ParallelLoops parallelLoops() {
        return parallel;
    }

    /** The Java parameter index whose slot holds {@code slot}, if it is a parameter never assigned. */
    Integer unassignedParamAtSlot(int slot) {
        return storedSlots.contains(slot) ? null : paramIndexOfSlot.get(slot);
    }

    List<Insn> instructions() {
        return insns;
    }

    IrFunction translate() {
        readCode();
        if (method.method().flags().has(AccessFlag.SYNCHRONIZED)) {
            throw fail(0, "synchronized method", "synchronization is not supported in kernels");
        }
        if (!method.code().exceptionHandlers().isEmpty()) {
            int handlerBci = method.code().labelToBci(method.code().exceptionHandlers().getFirst().handler());
            throw fail(handlerBci, "try/catch/finally", "exceptions are not supported in kernels");
        }
        parallel = ParallelLoops.find(method.code(), insns, this::fail);
        findLeaders();

        // Parameters: one C variable per slot (the KernelContext has none).
        List<Var> params = new ArrayList<>();
        IrType[] locals = new IrType[Math.max(1, method.code().maxLocals())];
        int slot = 0;
        for (int p = 0; p < paramTypes.size(); p++) {
            IrType t = paramTypes.get(p);
            locals[slot] = t;
            paramIndexOfSlot.put(slot, p);
            if (t.kind() != IrType.Kind.CONTEXT) {
                params.add(new Var(localName(slot, t), t, slot));
            }
            slot += t.isWide() ? 2 : 1;
        }
        if (kernel && paramTypes.contains(IrType.CONTEXT)) {
            session.usesContext = true;
        }

        Map<Integer, State> entry = new HashMap<>();
        entry.put(0, new State(locals, new ArrayList<>()));
        Deque<Integer> work = new ArrayDeque<>();
        work.add(0);
        while (!work.isEmpty()) {
            int start = work.poll();
            State in = entry.get(start);
            Map<Integer, State> exits = new LinkedHashMap<>();
            blocks.put(start, new BlockTranslator(start, in.copy(), exits).run());
            for (Map.Entry<Integer, State> e : exits.entrySet()) {
                State old = entry.get(e.getKey());
                if (old == null) {
                    entry.put(e.getKey(), e.getValue());
                    work.add(e.getKey());
                    continue;
                }
                if (!old.stack().equals(e.getValue().stack())) {
                    throw fail(e.getKey(), "operand stack of types " + e.getValue().stack() + " and " + old.stack(),
                            "paths that join here leave different values on the stack (e.g. a ?: choosing between arrays of different kinds)");
                }
                IrType[] merged = old.locals().clone();
                boolean changed = false;
                for (int i = 0; i < merged.length; i++) {
                    if (!Objects.equals(merged[i], e.getValue().locals()[i]) && merged[i] != null) {
                        merged[i] = null;
                        changed = true;
                    }
                }
                if (changed) {
                    entry.put(e.getKey(), new State(merged, old.stack()));
                    work.add(e.getKey());
                }
            }
        }
        for (Var p : params) {
            variables.remove(p.name());
        }
        return new IrFunction(functionName, method.displayName(), kernel, returnType, params, variables,
                new ArrayList<>(arrays.values()), new ArrayList<>(blocks.values()));
    }

    // ---------------------------------------------------------------- reading and block structure

    private void readCode() {
        int bci = 0;
        int line = -1;
        for (CodeElement el : method.code().elementList()) {
            switch (el) {
                case LineNumber ln -> line = ln.line();
                case LocalVariable lv -> lvt.add(new LvtEntry(lv.slot(), lv.name().stringValue(), lv.type().stringValue()));
                case Instruction ins -> {
                    indexOfBci.put(bci, insns.size());
                    insns.add(new Insn(bci, line, ins));
                    if (ins instanceof StoreInstruction st) {
                        storedSlots.add(st.slot());
                    } else if (ins instanceof IncrementInstruction inc) {
                        storedSlots.add(inc.slot());
                    }
                    bci += ins.sizeInBytes();
                }
                default -> {
                }
            }
        }
    }

    private void findLeaders() {
        leaders.add(0);
        for (int k = 0; k < insns.size(); k++) {
            Insn in = insns.get(k);
            int next = k + 1 < insns.size() ? insns.get(k + 1).bci() : -1;
            switch (in.ins()) {
                case BranchInstruction b -> {
                    leaders.add(bciOf(b.target()));
                    if (next >= 0) leaders.add(next);
                }
                case TableSwitchInstruction ts -> {
                    leaders.add(bciOf(ts.defaultTarget()));
                    ts.cases().forEach(c -> leaders.add(bciOf(c.target())));
                    if (next >= 0) leaders.add(next);
                }
                case LookupSwitchInstruction ls -> {
                    leaders.add(bciOf(ls.defaultTarget()));
                    ls.cases().forEach(c -> leaders.add(bciOf(c.target())));
                    if (next >= 0) leaders.add(next);
                }
                case ReturnInstruction r -> {
                    if (next >= 0) leaders.add(next);
                }
                case ThrowInstruction t -> {
                    if (next >= 0) leaders.add(next);
                }
                default -> {
                }
            }
        }
    }

    private int bciOf(java.lang.classfile.Label label) {
        return method.code().labelToBci(label);
    }

    int lineAt(int bci) {
        Integer k = indexOfBci.get(bci);
        if (k == null) {
            k = 0;
            for (int i = 0; i < insns.size() && insns.get(i).bci() <= bci; i++) k = i;
        }
        return insns.isEmpty() ? -1 : insns.get(k).line();
    }

    KernelCompilationException fail(int bci, String construct, String why) {
        int line = lineAt(bci);
        String where = method.owner().sourceFile() + (line >= 0 ? ":" + line : "");
        return new KernelCompilationException(method.displayName() + " (" + where + ", bci " + bci + "): "
                + construct + " - " + why);
    }

    // ---------------------------------------------------------------- naming

    private String localName(int slot, IrType type) {
        String key = slot + ":" + type;
        String name = localNames.get(key);
        if (name == null) {
            String base = "v";
            for (LvtEntry e : lvt) {
                if (e.slot() == slot && sameCategory(e.descriptor(), type)) {
                    base = CompileSession.sanitise(e.name());
                    break;
                }
            }
            name = base + "_" + slot;
            if (localNames.containsValue(name)) {
                name = name + "_" + type.tag();
            }
            localNames.put(key, name);
        }
        return name;
    }

    private static boolean sameCategory(String descriptor, IrType type) {
        return switch (descriptor) {
            case "I", "Z", "B", "S", "C" -> type.kind() == IrType.Kind.INT;
            case "J" -> type.kind() == IrType.Kind.LONG;
            case "F" -> type.kind() == IrType.Kind.FLOAT;
            case "D" -> type.kind() == IrType.Kind.DOUBLE;
            default -> !type.isPrimitive();
        };
    }

    private Var localVar(int slot, IrType type) {
        Var v = new Var(localName(slot, type), type, slot);
        variables.putIfAbsent(v.name(), type);
        return v;
    }

    private Var stackVar(int depth, IrType type) {
        Var v = new Var("s" + depth + "_" + type.tag(), type, -1);
        variables.putIfAbsent(v.name(), type);
        return v;
    }

    private Var newTemp(IrType type) {
        Var v = new Var("t" + temps++, type, -1);
        variables.put(v.name(), type);
        return v;
    }

    static IrType returnTypeOf(String descriptor) {
        String r = descriptor.substring(descriptor.indexOf(')') + 1);
        return switch (r) {
            case "V" -> null;
            case "I", "Z", "B", "S", "C" -> IrType.INT;
            case "J" -> IrType.LONG;
            case "F" -> IrType.FLOAT;
            case "D" -> IrType.DOUBLE;
            default -> IrType.CONTEXT; // marker: a reference return, rejected by the caller
        };
    }

    /** The Java parameter descriptors of a method descriptor, one string per parameter. */
    static List<String> parameterDescriptors(String descriptor) {
        List<String> out = new ArrayList<>();
        int i = 1;
        while (descriptor.charAt(i) != ')') {
            int start = i;
            while (descriptor.charAt(i) == '[') i++;
            if (descriptor.charAt(i) == 'L') i = descriptor.indexOf(';', i);
            i++;
            out.add(descriptor.substring(start, i));
        }
        return out;
    }

    // ---------------------------------------------------------------- one basic block

    private final class BlockTranslator {
        private final int start;
        private final State state;
        private final Map<Integer, State> exits;
        private final List<Expr> stack = new ArrayList<>();
        private final List<Stmt> out = new ArrayList<>();
        private int bci;

        BlockTranslator(int start, State state, Map<Integer, State> exits) {
            this.start = start;
            this.state = state;
            this.exits = exits;
            for (int i = 0; i < state.stack().size(); i++) {
                IrType t = state.stack().get(i);
                stack.add(t.kind() == IrType.Kind.CONTEXT ? new Expr.ContextRef() : stackVar(i, t));
            }
        }

        IrFunction.Block run() {
            int k = indexOfBci.get(start);
            Integer endBci = leaders.higher(start);
            int end = endBci == null ? Integer.MAX_VALUE : endBci;
            boolean terminated = false;
            int lastBci = start;
            for (; k < insns.size() && insns.get(k).bci() < end; k++) {
                Insn in = insns.get(k);
                bci = in.bci();
                lastBci = bci;
                terminated = translate(in.ins(), k + 1 < insns.size() ? insns.get(k + 1).bci() : -1);
            }
            int blockEnd = k < insns.size() ? insns.get(k).bci() : lastBci + 1;
            if (!terminated) {
                if (k >= insns.size()) {
                    throw fail(lastBci, "falling off the end of the method", "malformed bytecode");
                }
                jumpTo(blockEnd);
                out.add(new Stmt.Goto(blockEnd));
            }
            return new IrFunction.Block(start, blockEnd, lineAt(start), out);
        }

        /** @return true when the instruction ends the block (branch, switch, return) */
        private boolean translate(Instruction ins, int nextBci) {
            switch (ins) {
                case LoadInstruction ld -> load(ld.slot(), ld.typeKind());
                case StoreInstruction st -> store(st.slot(), st.typeKind());
                case IncrementInstruction inc -> increment(inc.slot(), inc.constant());
                case ConstantInstruction c -> constant(c);
                case OperatorInstruction op -> operator(op.opcode());
                case ConvertInstruction cv -> push(convert(conv(cv.opcode()), pop()));
                case StackInstruction s -> stackOp(s.opcode());
                case ArrayLoadInstruction al -> arrayLoad(al.typeKind());
                case ArrayStoreInstruction as -> arrayStore(as.typeKind());
                case NewPrimitiveArrayInstruction na -> newArray(na.typeKind());
                case BranchInstruction b -> {
                    branch(b, nextBci);
                    return true;
                }
                case TableSwitchInstruction ts -> {
                    List<SwitchCase> cases = ts.cases();
                    switchOn(cases, ts.defaultTarget());
                    return true;
                }
                case LookupSwitchInstruction ls -> {
                    switchOn(ls.cases(), ls.defaultTarget());
                    return true;
                }
                case ReturnInstruction r -> {
                    Expr value = r.typeKind() == TypeKind.VOID ? null : pop();
                    if (value != null && !value.type().isPrimitive()) {
                        throw fail(bci, "return of " + value.type(), "kernel methods and helpers may only return primitives");
                    }
                    out.add(new Stmt.Return(value));
                    return true;
                }
                case InvokeInstruction inv -> invoke(inv);
                case FieldInstruction f -> field(f);
                case NopInstruction n -> {
                }
                case ThrowInstruction t -> throw fail(bci, "throw", "exceptions are not supported in kernels");
                case MonitorInstruction m -> throw fail(bci, "synchronized block", "synchronization is not supported in kernels; use KernelContext barriers or atomics");
                case InvokeDynamicInstruction indy -> throw fail(bci, "invokedynamic " + indy.name().stringValue(),
                        "lambdas, method references and string concatenation are not supported in kernels");
                case NewObjectInstruction n -> throw fail(bci, "'new " + n.className().asInternalName().replace('/', '.') + "'",
                        "object allocation is not supported in kernels");
                case NewReferenceArrayInstruction n -> throw fail(bci, "'new " + n.componentType().asInternalName().replace('/', '.') + "[]'",
                        "arrays of references are not supported in kernels");
                case NewMultiArrayInstruction n -> throw fail(bci, "multi-dimensional array 'new " + n.arrayType().asInternalName() + "'",
                        "multi-dimensional arrays are not supported in kernels; use a flat array");
                case TypeCheckInstruction tc -> throw fail(bci, tc.opcode().name().toLowerCase() + " " + tc.type().asInternalName().replace('/', '.'),
                        "casts and instanceof on objects are not supported in kernels");
                case DiscontinuedInstruction d -> throw fail(bci, d.opcode().name().toLowerCase(), "jsr/ret are not supported");
                default -> throw fail(bci, ins.opcode().name().toLowerCase(), "this bytecode is not supported in kernels");
            }
            return false;
        }

        // ---- stack helpers

        private void push(Expr e) {
            stack.add(e);
        }

        private Expr pop() {
            if (stack.isEmpty()) {
                throw fail(bci, "operand stack underflow", "malformed bytecode");
            }
            return stack.removeLast();
        }

        private Expr materialize(Expr e) {
            if (e instanceof Const || e instanceof Expr.ArrayRef || e instanceof Expr.ContextRef
                    || e instanceof Var v && v.slot() < 0) {
                return e;
            }
            Var t = newTemp(e.type());
            out.add(new Stmt.Assign(t, e));
            return t;
        }

        private void spillIf(Predicate<Expr> p) {
            for (int i = 0; i < stack.size(); i++) {
                if (p.test(stack.get(i))) {
                    stack.set(i, materialize(stack.get(i)));
                }
            }
        }

        /** Before anything writes memory or has effects: pin values that read memory. */
        private void spillMemoryReads() {
            spillIf(MethodTranslator::readsMemory);
        }

        // ---- locals

        private void load(int slot, TypeKind kind) {
            IrType t = switch (kind) {
                case INT, BOOLEAN, BYTE, SHORT, CHAR -> IrType.INT;
                case LONG -> IrType.LONG;
                case FLOAT -> IrType.FLOAT;
                case DOUBLE -> IrType.DOUBLE;
                default -> state.locals()[slot];
            };
            if (t == null) {
                throw fail(bci, "load of local variable slot " + slot,
                        "the variable holds different kinds of array on different paths; use one array per variable");
            }
            if (t.kind() == IrType.Kind.CONTEXT) {
                push(new Expr.ContextRef());
                return;
            }
            Integer param = unassignedParamAtSlot(slot);
            if (kernel && param != null && session.specialisations.containsKey(param)) {
                push(specialisedConstant(param, t));
                return;
            }
            push(localVar(slot, t));
        }

        private Const specialisedConstant(int param, IrType t) {
            Object v = session.specialisations.get(param);
            return switch (t.kind()) {
                case INT -> new Const(IrType.INT, v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).intValue());
                case LONG -> new Const(IrType.LONG, ((Number) v).longValue());
                case FLOAT -> new Const(IrType.FLOAT, ((Number) v).floatValue());
                case DOUBLE -> new Const(IrType.DOUBLE, ((Number) v).doubleValue());
                default -> throw fail(bci, "specialisation of parameter " + param, "only scalar parameters can be specialised");
            };
        }

        private void store(int slot, TypeKind kind) {
            Expr value = pop();
            IrType t = value.type();
            spillIf(e -> readsLocal(e, slot));
            state.locals()[slot] = t;
            if (t.isWide() && slot + 1 < state.locals().length) {
                state.locals()[slot + 1] = null;
            }
            if (t.kind() == IrType.Kind.CONTEXT) {
                return; // the context is implicit: nothing to store
            }
            Var v = localVar(slot, t);
            out.add(new Stmt.Assign(v, value));
            ParallelLoops.Loop loop = kernel ? parallel.byInitBci.get(bci) : null;
            if (loop != null) {
                Expr offset = new Expr.ContextValue(Expr.CtxField.GLOBAL_ID, loop.dim());
                if (loop.step() != 1) {
                    offset = new Expr.Binary(BinOp.MUL, offset, Const.ofInt(loop.step()), IrType.INT);
                }
                out.add(new Stmt.Comment("@Parallel loop, dimension " + loop.dim() + ": grid-stride start"));
                out.add(new Stmt.Assign(v, new Expr.Binary(BinOp.ADD, v, offset, IrType.INT)));
            }
        }

        private void increment(int slot, int delta) {
            spillIf(e -> readsLocal(e, slot));
            state.locals()[slot] = IrType.INT;
            Var v = localVar(slot, IrType.INT);
            ParallelLoops.Loop loop = kernel ? parallel.byStepBci.get(bci) : null;
            Expr step = Const.ofInt(delta);
            if (loop != null) {
                Expr size = new Expr.ContextValue(Expr.CtxField.GLOBAL_SIZE, loop.dim());
                step = delta == 1 ? size : new Expr.Binary(BinOp.MUL, size, step, IrType.INT);
                out.add(new Stmt.Comment("@Parallel loop, dimension " + loop.dim() + ": grid stride"));
            }
            out.add(new Stmt.Assign(v, new Expr.Binary(BinOp.ADD, v, step, IrType.INT)));
        }

        // ---- constants and operators

        private void constant(ConstantInstruction c) {
            Object v = c.constantValue();
            switch (v) {
                case Integer i -> push(Const.ofInt(i));
                case Long l -> push(new Const(IrType.LONG, l));
                case Float f -> push(new Const(IrType.FLOAT, f));
                case Double d -> push(new Const(IrType.DOUBLE, d));
                case String s -> throw fail(bci, "string constant \"" + s + "\"", "strings are not supported in kernels");
                case null -> throw fail(bci, "null", "references other than kernel arrays are not supported in kernels");
                default -> throw fail(bci, "constant " + v, "only primitive constants are supported in kernels");
            }
        }

        private void operator(Opcode op) {
            switch (op) {
                case IADD, LADD, FADD, DADD -> binary(BinOp.ADD);
                case ISUB, LSUB, FSUB, DSUB -> binary(BinOp.SUB);
                case IMUL, LMUL, FMUL, DMUL -> binary(BinOp.MUL);
                case IDIV, LDIV, FDIV, DDIV -> binary(BinOp.DIV);
                case IREM, LREM, FREM, DREM -> binary(BinOp.REM);
                case IAND, LAND -> binary(BinOp.AND);
                case IOR, LOR -> binary(BinOp.OR);
                case IXOR, LXOR -> binary(BinOp.XOR);
                case ISHL, LSHL -> binary(BinOp.SHL);
                case ISHR, LSHR -> binary(BinOp.SHR);
                case IUSHR, LUSHR -> binary(BinOp.USHR);
                case INEG, LNEG, FNEG, DNEG -> {
                    Expr a = pop();
                    push(a instanceof Const c ? negate(c) : new Expr.Neg(a));
                }
                case LCMP -> cmp3(0);
                case FCMPL, DCMPL -> cmp3(-1);
                case FCMPG, DCMPG -> cmp3(1);
                case ARRAYLENGTH -> {
                    Expr a = pop();
                    if (a.type().kind() == IrType.Kind.JAVA_ARRAY) {
                        push(Const.ofInt(a.type().length()));
                    } else {
                        throw fail(bci, "arraylength", "only arrays created in the kernel have a known length");
                    }
                }
                default -> throw fail(bci, op.name().toLowerCase(), "this operator is not supported in kernels");
            }
        }

        private void cmp3(int nanResult) {
            Expr b = pop();
            Expr a = pop();
            push(new Expr.Cmp3(a, b, nanResult));
        }

        private void binary(BinOp op) {
            Expr b = pop();
            Expr a = pop();
            push(fold(op, a, b));
        }

        // ---- stack manipulation (category-2 values are one entry on the symbolic stack)

        private void stackOp(Opcode op) {
            switch (op) {
                case POP -> pop();
                case POP2 -> {
                    if (!pop().type().isWide()) pop();
                }
                case DUP -> {
                    Expr a = materialize(pop());
                    push(a);
                    push(a);
                }
                case DUP_X1 -> {
                    Expr a = materialize(pop());
                    Expr b = pop();
                    push(a);
                    push(b);
                    push(a);
                }
                case DUP_X2 -> {
                    Expr a = materialize(pop());
                    Expr b = pop();
                    if (b.type().isWide()) {
                        push(a);
                        push(b);
                        push(a);
                    } else {
                        Expr c = pop();
                        push(a);
                        push(c);
                        push(b);
                        push(a);
                    }
                }
                case DUP2 -> {
                    Expr a = materialize(pop());
                    if (a.type().isWide()) {
                        push(a);
                        push(a);
                    } else {
                        Expr b = materialize(pop());
                        push(b);
                        push(a);
                        push(b);
                        push(a);
                    }
                }
                case DUP2_X1 -> {
                    Expr a = materialize(pop());
                    if (a.type().isWide()) {
                        Expr b = pop();
                        push(a);
                        push(b);
                        push(a);
                    } else {
                        Expr b = materialize(pop());
                        Expr c = pop();
                        push(b);
                        push(a);
                        push(c);
                        push(b);
                        push(a);
                    }
                }
                case DUP2_X2 -> {
                    Expr a = materialize(pop());
                    if (a.type().isWide()) {
                        Expr b = pop();
                        if (b.type().isWide()) {
                            push(a);
                            push(b);
                            push(a);
                        } else {
                            Expr c = pop();
                            push(a);
                            push(c);
                            push(b);
                            push(a);
                        }
                    } else {
                        Expr b = materialize(pop());
                        Expr c = pop();
                        if (c.type().isWide()) {
                            push(b);
                            push(a);
                            push(c);
                            push(b);
                            push(a);
                        } else {
                            Expr d = pop();
                            push(b);
                            push(a);
                            push(d);
                            push(c);
                            push(b);
                            push(a);
                        }
                    }
                }
                case SWAP -> {
                    Expr a = pop();
                    Expr b = pop();
                    push(a);
                    push(b);
                }
                default -> throw fail(bci, op.name().toLowerCase(), "unsupported stack instruction");
            }
        }

        // ---- Java arrays (private or local)

        private void arrayLoad(TypeKind kind) {
            Expr index = pop();
            Expr array = pop();
            IrType t = javaArrayType(array, kind);
            push(new Expr.Load(array, index, t.elem().valueType()));
        }

        private void arrayStore(TypeKind kind) {
            Expr value = pop();
            Expr index = pop();
            Expr array = pop();
            javaArrayType(array, kind);
            spillMemoryReads();
            out.add(new Stmt.Store(array, index, value));
        }

        private IrType javaArrayType(Expr array, TypeKind kind) {
            IrType t = array.type();
            if (t.kind() != IrType.Kind.JAVA_ARRAY) {
                throw fail(bci, kind.name().toLowerCase() + " array access on " + t, "not an array created in the kernel");
            }
            return t;
        }

        private void newArray(TypeKind kind) {
            Expr size = pop();
            if (!(size instanceof Const c)) {
                throw fail(bci, "'new " + kind.name().toLowerCase() + "[n]' with a variable size",
                        "private arrays need a compile-time constant size (or a specialised parameter)");
            }
            int n = c.value().intValue();
            if (n <= 0 || n > 1 << 16) {
                throw fail(bci, "'new " + kind.name().toLowerCase() + "[" + n + "]'", "private array size must be between 1 and 65536");
            }
            IrType t = IrType.javaArray(elemOf(kind), IrType.Space.PRIVATE, n);
            Expr.ArrayRef ref = arrays.computeIfAbsent(bci, b -> new Expr.ArrayRef("priv" + b, t, n));
            spillMemoryReads();
            out.add(new Stmt.ZeroFill(ref));
            push(ref);
        }

        private IrType.Elem elemOf(TypeKind kind) {
            return switch (kind) {
                case BOOLEAN -> IrType.Elem.BOOLEAN;
                case BYTE -> IrType.Elem.BYTE;
                case CHAR -> IrType.Elem.CHAR;
                case SHORT -> IrType.Elem.SHORT;
                case INT -> IrType.Elem.INT;
                case LONG -> IrType.Elem.LONG;
                case FLOAT -> IrType.Elem.FLOAT;
                case DOUBLE -> IrType.Elem.DOUBLE;
                default -> throw fail(bci, "array of " + kind, "unsupported element type");
            };
        }

        // ---- control flow

        private void jumpTo(int target) {
            flushStack();
            List<IrType> types = new ArrayList<>();
            for (Expr e : stack) types.add(e.type());
            exits.put(target, new State(state.locals().clone(), types));
        }

        /** Writes the symbolic stack to the per-(depth,type) variables that the successor reads. */
        private void flushStack() {
            List<Var> targets = new ArrayList<>();
            boolean conflict = false;
            for (int i = 0; i < stack.size(); i++) {
                Var target = stack.get(i).type().kind() == IrType.Kind.CONTEXT ? new Var("ctx", IrType.CONTEXT, -1)
                        : stackVar(i, stack.get(i).type());
                targets.add(target);
                for (int j = 0; j < i; j++) {
                    if (!stack.get(j).equals(targets.get(j)) && mentions(stack.get(i), targets.get(j).name())) {
                        conflict = true;
                    }
                }
            }
            if (conflict) {
                for (int i = 0; i < stack.size(); i++) {
                    if (!stack.get(i).equals(targets.get(i))) {
                        Var t = newTemp(stack.get(i).type());
                        out.add(new Stmt.Assign(t, stack.get(i)));
                        stack.set(i, t);
                    }
                }
            }
            for (int i = 0; i < stack.size(); i++) {
                if (!stack.get(i).equals(targets.get(i)) && stack.get(i).type().kind() != IrType.Kind.CONTEXT) {
                    out.add(new Stmt.Assign(targets.get(i), stack.get(i)));
                    stack.set(i, targets.get(i));
                }
            }
        }

        private void branch(BranchInstruction b, int nextBci) {
            int target = bciOf(b.target());
            Opcode op = b.opcode();
            if (op == Opcode.GOTO || op == Opcode.GOTO_W) {
                jumpTo(target);
                out.add(new Stmt.Goto(target));
                return;
            }
            Expr cond = switch (op) {
                case IFEQ -> zeroTest(Cond.EQ, pop());
                case IFNE -> zeroTest(Cond.NE, pop());
                case IFLT -> zeroTest(Cond.LT, pop());
                case IFGE -> zeroTest(Cond.GE, pop());
                case IFGT -> zeroTest(Cond.GT, pop());
                case IFLE -> zeroTest(Cond.LE, pop());
                case IF_ICMPEQ -> compare(Cond.EQ);
                case IF_ICMPNE -> compare(Cond.NE);
                case IF_ICMPLT -> compare(Cond.LT);
                case IF_ICMPGE -> compare(Cond.GE);
                case IF_ICMPGT -> compare(Cond.GT);
                case IF_ICMPLE -> compare(Cond.LE);
                default -> throw fail(bci, op.name().toLowerCase(), "reference comparisons and null checks are not supported in kernels");
            };
            if (cond instanceof Expr.Compare c && c.a() instanceof Const x && c.b() instanceof Const y
                    && x.type().kind() == IrType.Kind.INT && y.type().kind() == IrType.Kind.INT) {
                // decided at compile time (assertions, specialised flags): the other side is dead code
                int p = x.value().intValue();
                int q = y.value().intValue();
                boolean taken = switch (c.cond()) {
                    case EQ -> p == q;
                    case NE -> p != q;
                    case LT -> p < q;
                    case GE -> p >= q;
                    case GT -> p > q;
                    case LE -> p <= q;
                };
                int dest = taken ? target : nextBci;
                jumpTo(dest);
                out.add(new Stmt.Goto(dest));
                return;
            }
            if (!stack.isEmpty()) {
                cond = materialize(cond); // the flush below may overwrite variables the condition reads
            }
            jumpTo(target);
            jumpTo(nextBci);
            out.add(new Stmt.Branch(cond, target, nextBci));
        }

        private Expr compare(Cond c) {
            Expr b = pop();
            Expr a = pop();
            return new Expr.Compare(c, a, b, false);
        }

        /** ifXX: compares an int with zero; a preceding lcmp/fcmp fuses into one comparison. */
        private Expr zeroTest(Cond c, Expr v) {
            if (v instanceof Expr.Cmp3 cmp) {
                boolean nanIsTrue = switch (c) {
                    case EQ -> cmp.nanResult() == 0;
                    case NE -> cmp.nanResult() != 0;
                    case LT -> cmp.nanResult() < 0;
                    case GE -> cmp.nanResult() >= 0;
                    case GT -> cmp.nanResult() > 0;
                    case LE -> cmp.nanResult() <= 0;
                };
                return new Expr.Compare(c, cmp.a(), cmp.b(), nanIsTrue);
            }
            if (v instanceof Expr.Compare cmp && (c == Cond.EQ || c == Cond.NE)) {
                return c == Cond.NE ? cmp : new Expr.Compare(cmp.cond().negate(), cmp.a(), cmp.b(), !cmp.nanIsTrue());
            }
            return new Expr.Compare(c, v, Const.ofInt(0), false);
        }

        private void switchOn(List<SwitchCase> cases, java.lang.classfile.Label defaultLabel) {
            Expr key = pop();
            if (!stack.isEmpty()) key = materialize(key);
            int[] keys = new int[cases.size()];
            int[] targets = new int[cases.size()];
            for (int i = 0; i < cases.size(); i++) {
                keys[i] = cases.get(i).caseValue();
                targets[i] = bciOf(cases.get(i).target());
                jumpTo(targets[i]);
            }
            int def = bciOf(defaultLabel);
            jumpTo(def);
            out.add(new Stmt.Switch(key, keys, targets, def));
        }

        // ---- fields

        private void field(FieldInstruction f) {
            String owner = f.owner().asInternalName();
            String name = f.name().stringValue();
            String display = owner.replace('/', '.') + "." + name;
            switch (f.opcode()) {
                case GETFIELD -> {
                    Expr ref = pop();
                    if (ref.type().kind() != IrType.Kind.CONTEXT) {
                        throw fail(bci, "read of field " + display, "kernels may only read KernelContext fields");
                    }
                    session.usesContext = true;
                    push(Intrinsics.contextField(name, () -> fail(bci, "read of field " + display, "not a KernelContext index field")));
                }
                case GETSTATIC -> {
                    if (!name.equals("$assertionsDisabled")) {
                        throw fail(bci, "read of static field " + display,
                                "only compile-time constants (static final primitives initialised with a constant) can be used in kernels; pass other values as parameters");
                    }
                    push(Const.ofInt(1)); // assert statements are compiled out, as with -da
                }
                case PUTSTATIC -> throw fail(bci, "write of static field " + display, "kernels cannot write static fields");
                default -> throw fail(bci, "write of field " + display, "kernels cannot write object fields");
            }
        }

        // ---- calls

        private void invoke(InvokeInstruction inv) {
            String owner = inv.owner().asInternalName();
            String name = inv.name().stringValue();
            String desc = inv.type().stringValue();
            List<String> pds = parameterDescriptors(desc);
            List<Expr> args = new ArrayList<>();
            for (int i = 0; i < pds.size(); i++) args.addFirst(pop());
            String display = owner.substring(owner.lastIndexOf('/') + 1).replace('$', '.') + "." + name;
            Intrinsics.Site site = new Intrinsics.Site(bci, display, MethodTranslator.this::fail);
            switch (inv.opcode()) {
                case INVOKESTATIC -> {
                    Expr intrinsic = Intrinsics.staticCall(owner, name, desc, args, site);
                    if (intrinsic != null) {
                        push(intrinsic);
                    } else if (ClassFiles.isPlatformClass(owner)) {
                        throw fail(bci, "call to " + owner.replace('/', '.') + "." + name + desc,
                                "this JDK method is not supported in kernels (Math.*, Float/Double bit conversions and Integer/Long/Float min/max are)");
                    } else {
                        helperCall(owner, name, desc, args);
                    }
                }
                case INVOKEVIRTUAL -> {
                    Expr receiver = pop();
                    Intrinsics.Result r = Intrinsics.instanceCall(owner, name, desc, receiver, args, site, kernel);
                    if (r.usesContext()) session.usesContext = true;
                    if (r.usesBarrier()) {
                        session.usesBarrier = true;
                        session.barriers++;
                    }
                    if (r.localArray() != null) {
                        Expr.ArrayRef ref = arrays.computeIfAbsent(bci, b -> new Expr.ArrayRef("local" + localArrays++,
                                r.localArray(), r.localArray().length()));
                        push(ref);
                    } else if (r.value() != null && r.value().type() == null) {
                        throw new IllegalStateException();
                    } else if (r.effect() != null) {
                        spillMemoryReads();
                        if (r.effect() instanceof Stmt.Store) {
                            out.add(r.effect());
                        } else if (r.value() != null) {
                            Var t = newTemp(r.value().type());
                            out.add(new Stmt.Assign(t, r.value()));
                            push(t);
                        } else {
                            out.add(r.effect());
                        }
                    } else {
                        push(r.value());
                    }
                }
                default -> {
                    if (inv.opcode() == Opcode.INVOKESPECIAL && name.equals("<init>")) {
                        throw fail(bci, "constructor " + display, "object allocation is not supported in kernels");
                    }
                    throw fail(bci, "instance call " + display, "only static methods and the kernel-array/KernelContext methods can be called in kernels");
                }
            }
        }

        private void helperCall(String owner, String name, String desc, List<Expr> args) {
            List<String> pds = parameterDescriptors(desc);
            List<IrType> types = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                IrType t = args.get(i).type();
                if (!t.isPrimitive() && !compatible(pds.get(i), t)) {
                    throw fail(bci, "call to " + owner + "." + name, "argument " + i + " is " + t + " but the parameter is " + pds.get(i));
                }
                types.add(t);
            }
            String key = owner + "." + name + desc + types;
            String display = owner.substring(owner.lastIndexOf('/') + 1) + "." + name;
            if (session.inProgress.contains(key) || session.inProgress.contains(owner + "." + name + desc)) {
                throw fail(bci, "recursive call to " + display, "recursion is not supported in kernels");
            }
            IrType ret = returnTypeOf(desc);
            if (ret == IrType.CONTEXT) {
                throw fail(bci, "call to " + display + desc, "helpers may only return primitives or void");
            }
            String fn = session.helperName(key);
            // A helper with a barrier gets a copy per call site: PoCL 3.1 gave wrong results for a
            // kernel that called one such function twice (GroupReduce.sumFourInPlace, in an
            // experimental sparse FFN kernel, docs/PERF.md; TestKernels.fourSumsTwice is a small
            // one), and right ones with two functions of the same body.
            if (fn == null || session.hasBarrier(key)) {
                ClassFiles.LoadedMethod callee = session.classes.method(owner, name, desc).orElseThrow(() ->
                        fail(bci, "call to " + display + desc, "the class file of the callee cannot be read, or the method has no code"));
                if (!callee.method().flags().has(AccessFlag.STATIC)) {
                    throw fail(bci, "call to " + display, "only static methods can be called");
                }
                fn = session.uniqueFunctionName(display.replace('$', '_'));
                session.inProgress.push(owner + "." + name + desc);
                int barriersBefore = session.barriers;
                try {
                    IrFunction f = new MethodTranslator(session, callee, false, types, fn).translate();
                    session.helpers.add(f);
                } finally {
                    session.inProgress.pop();
                }
                session.registerHelper(key, fn, session.barriers > barriersBefore);
            }
            spillMemoryReads();
            List<Expr> cArgs = new ArrayList<>();
            for (Expr a : args) {
                if (a.type().kind() != IrType.Kind.CONTEXT) cArgs.add(a);
            }
            Expr call = new Expr.HelperCall(fn, cArgs, ret);
            if (ret == null) {
                out.add(new Stmt.Eval(call));
            } else {
                Var t = newTemp(ret);
                out.add(new Stmt.Assign(t, call));
                push(t);
            }
        }
    }

    private static boolean compatible(String descriptor, IrType t) {
        return switch (t.kind()) {
            case FLOAT_ARRAY -> descriptor.equals("Lorg/lte4j/runtime/api/FloatArray;");
            case HALF_ARRAY -> descriptor.equals("Lorg/lte4j/runtime/api/HalfArray;");
            case INT_ARRAY -> descriptor.equals("Lorg/lte4j/runtime/api/IntArray;");
            case BYTE_ARRAY -> descriptor.equals("Lorg/lte4j/runtime/api/ByteArray;");
            case CONTEXT -> descriptor.equals("Lorg/lte4j/runtime/api/KernelContext;");
            case JAVA_ARRAY -> descriptor.length() == 2 && descriptor.charAt(0) == '[';
            default -> false;
        };
    }

    // ---------------------------------------------------------------- expression utilities

    static boolean readsMemory(Expr e) {
        return switch (e) {
            case Expr.Load l -> true;
            case Expr.Call c -> true;
            case Expr.HelperCall h -> true;
            case Expr.Binary b -> readsMemory(b.a()) || readsMemory(b.b());
            case Expr.Neg n -> readsMemory(n.a());
            case Expr.Convert c -> readsMemory(c.a());
            case Expr.Compare c -> readsMemory(c.a()) || readsMemory(c.b());
            case Expr.Cmp3 c -> readsMemory(c.a()) || readsMemory(c.b());
            default -> false;
        };
    }

    static boolean readsLocal(Expr e, int slot) {
        return switch (e) {
            case Var v -> v.slot() == slot;
            case Expr.Load l -> readsLocal(l.array(), slot) || readsLocal(l.index(), slot);
            case Expr.Call c -> c.args().stream().anyMatch(a -> readsLocal(a, slot));
            case Expr.HelperCall h -> h.args().stream().anyMatch(a -> readsLocal(a, slot));
            case Expr.Binary b -> readsLocal(b.a(), slot) || readsLocal(b.b(), slot);
            case Expr.Neg n -> readsLocal(n.a(), slot);
            case Expr.Convert c -> readsLocal(c.a(), slot);
            case Expr.Compare c -> readsLocal(c.a(), slot) || readsLocal(c.b(), slot);
            case Expr.Cmp3 c -> readsLocal(c.a(), slot) || readsLocal(c.b(), slot);
            default -> false;
        };
    }

    static boolean mentions(Expr e, String name) {
        return switch (e) {
            case Var v -> v.name().equals(name);
            case Expr.Load l -> mentions(l.array(), name) || mentions(l.index(), name);
            case Expr.Call c -> c.args().stream().anyMatch(a -> mentions(a, name));
            case Expr.HelperCall h -> h.args().stream().anyMatch(a -> mentions(a, name));
            case Expr.Binary b -> mentions(b.a(), name) || mentions(b.b(), name);
            case Expr.Neg n -> mentions(n.a(), name);
            case Expr.Convert c -> mentions(c.a(), name);
            case Expr.Compare c -> mentions(c.a(), name) || mentions(c.b(), name);
            case Expr.Cmp3 c -> mentions(c.a(), name) || mentions(c.b(), name);
            default -> false;
        };
    }

    static Conv conv(Opcode op) {
        return switch (op) {
            case I2L -> Conv.I2L;
            case I2F -> Conv.I2F;
            case I2D -> Conv.I2D;
            case L2I -> Conv.L2I;
            case L2F -> Conv.L2F;
            case L2D -> Conv.L2D;
            case F2I -> Conv.F2I;
            case F2L -> Conv.F2L;
            case F2D -> Conv.F2D;
            case D2I -> Conv.D2I;
            case D2L -> Conv.D2L;
            case D2F -> Conv.D2F;
            case I2B -> Conv.I2B;
            case I2C -> Conv.I2C;
            case I2S -> Conv.I2S;
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    /**
     * A conversion, folded where exact. {@code (float) Math.f((double) x)} becomes the float-precision
     * {@code f(x)}: the one optimisation that departs from strict Java (within a few ulp for
     * transcendental functions, exact for sqrt, floor, ceil, abs, min, max).
     */
    static Expr convert(Conv op, Expr a) {
        if (a instanceof Const c) {
            Number v = c.value();
            switch (op) {
                case I2L -> { return new Const(IrType.LONG, v.longValue()); }
                case I2F, L2F, D2F -> { return new Const(IrType.FLOAT, v.floatValue()); }
                case I2D, L2D, F2D -> { return new Const(IrType.DOUBLE, v.doubleValue()); }
                case L2I -> { return Const.ofInt(v.intValue()); }
                case F2I, D2I -> { return Const.ofInt((int) v.doubleValue()); }
                case F2L, D2L -> { return new Const(IrType.LONG, (long) v.doubleValue()); }
                case I2B -> { return Const.ofInt((byte) v.intValue()); }
                case I2C -> { return Const.ofInt((char) v.intValue()); }
                case I2S -> { return Const.ofInt((short) v.intValue()); }
                default -> { }
            }
        }
        if (op == Conv.D2F) {
            if (a instanceof Expr.Convert inner && inner.op() == Conv.F2D) {
                return inner.a();
            }
            if (a instanceof Expr.Call call && call.fn().isMath() && call.type().kind() == IrType.Kind.DOUBLE) {
                List<Expr> narrowed = new ArrayList<>();
                for (Expr arg : call.args()) {
                    if (arg instanceof Expr.Convert c && c.op() == Conv.F2D) {
                        narrowed.add(c.a());
                    } else if (arg instanceof Const k && (double) k.value().floatValue() == k.value().doubleValue()) {
                        narrowed.add(new Const(IrType.FLOAT, k.value().floatValue()));
                    } else {
                        narrowed = null;
                        break;
                    }
                }
                if (narrowed != null) {
                    return new Expr.Call(call.fn(), narrowed, IrType.FLOAT);
                }
            }
        }
        return new Expr.Convert(op, a);
    }

    static Expr negate(Const c) {
        return switch (c.type().kind()) {
            case INT -> Const.ofInt(-c.value().intValue());
            case LONG -> new Const(IrType.LONG, -c.value().longValue());
            case FLOAT -> new Const(IrType.FLOAT, -c.value().floatValue());
            default -> new Const(IrType.DOUBLE, -c.value().doubleValue());
        };
    }

    /** A binary operation, folded when both sides are int/long constants (specialised sizes). */
    static Expr fold(BinOp op, Expr a, Expr b) {
        if (a instanceof Const x && b instanceof Const y && a.type().kind() == IrType.Kind.INT && b.type().kind() == IrType.Kind.INT) {
            int p = x.value().intValue();
            int q = y.value().intValue();
            Integer r = switch (op) {
                case ADD -> p + q;
                case SUB -> p - q;
                case MUL -> p * q;
                case DIV -> q == 0 ? null : p / q;
                case REM -> q == 0 ? null : p % q;
                case AND -> p & q;
                case OR -> p | q;
                case XOR -> p ^ q;
                case SHL -> p << q;
                case SHR -> p >> q;
                case USHR -> p >>> q;
            };
            if (r != null) return Const.ofInt(r);
        }
        return new Expr.Binary(op, a, b, a.type());
    }
}
