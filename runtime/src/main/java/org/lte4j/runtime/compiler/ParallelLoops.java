package org.lte4j.runtime.compiler;

import java.lang.classfile.Attributes;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeAnnotation;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds {@code @Parallel} loops: javac records the annotation as a RuntimeVisibleTypeAnnotations
 * attribute of the Code, target LOCAL_VARIABLE, with the variable's slot and live range. The store
 * just before the range initialises the loop variable; the single {@code iinc} inside it is the step.
 * Nesting decides the dimension: outermost 0, the next 1.
 */
final class ParallelLoops {
    static final String PARALLEL_DESCRIPTOR = "Lorg/lte4j/runtime/api/Parallel;";

    /** One annotated loop variable. */
    record Loop(int slot, int startBci, int endBci, int initBci, int stepBci, int step, int dim) {
    }

    final Map<Integer, Loop> byInitBci = new HashMap<>();
    final Map<Integer, Loop> byStepBci = new HashMap<>();
    final List<Loop> loops = new ArrayList<>();

    interface Failure {
        KernelCompilationException at(int bci, String construct, String why);
    }

    /** @param insns instructions in order with their bytecode index */
    static ParallelLoops find(CodeAttribute code, List<MethodTranslator.Insn> insns, Failure fail) {
        ParallelLoops result = new ParallelLoops();
        record Range(int slot, int start, int end) {
        }
        List<Range> ranges = new ArrayList<>();
        code.findAttribute(Attributes.runtimeVisibleTypeAnnotations()).ifPresent(attr -> {
            for (TypeAnnotation ta : attr.annotations()) {
                if (!ta.annotation().className().equalsString(PARALLEL_DESCRIPTOR)
                        || !(ta.targetInfo() instanceof TypeAnnotation.LocalVarTarget lv)
                        || ta.targetInfo().targetType() != TypeAnnotation.TargetType.LOCAL_VARIABLE) {
                    continue;
                }
                for (TypeAnnotation.LocalVarTargetInfo info : lv.table()) {
                    ranges.add(new Range(info.index(), code.labelToBci(info.startLabel()), code.labelToBci(info.endLabel())));
                }
            }
        });
        for (Range r : ranges) {
            int dim = 0;
            for (Range o : ranges) {
                if (o != r && o.start <= r.start && r.end <= o.end && (o.start != r.start || o.end != r.end)) {
                    dim++;
                }
            }
            int initBci = -1;
            int stepBci = -1;
            int step = 0;
            for (int k = 0; k < insns.size(); k++) {
                MethodTranslator.Insn in = insns.get(k);
                if (k + 1 < insns.size() && insns.get(k + 1).bci() == r.start) {
                    if (in.ins() instanceof StoreInstruction st && st.slot() == r.slot && st.opcode() != Opcode.ASTORE) {
                        initBci = in.bci();
                    }
                }
                if (in.bci() >= r.start && in.bci() < r.end) {
                    Instruction ins = in.ins();
                    if (ins instanceof IncrementInstruction inc && inc.slot() == r.slot) {
                        if (stepBci >= 0) {
                            throw fail.at(in.bci(), "second update of @Parallel loop variable",
                                    "a @Parallel loop variable may only be changed by the loop's own i++ / i += constant");
                        }
                        stepBci = in.bci();
                        step = inc.constant();
                    } else if (ins instanceof StoreInstruction st && st.slot() == r.slot) {
                        throw fail.at(in.bci(), "store to @Parallel loop variable",
                                "a @Parallel loop must step by a constant (i++ or i += CONSTANT), and the body must not assign the variable");
                    }
                }
            }
            if (dim > 1) {
                throw fail.at(r.start, "@Parallel loop nested " + (dim + 1) + " deep",
                        "at most two nested @Parallel loops (dimensions x and y) are supported");
            }
            if (initBci < 0) {
                throw fail.at(r.start, "@Parallel loop without initialiser",
                        "write the loop as for (@Parallel int i = start; i < bound; i++)");
            }
            if (stepBci < 0 || step <= 0) {
                throw fail.at(r.start, "@Parallel loop without a positive constant step",
                        "a @Parallel loop must step by a positive constant (i++ or i += CONSTANT)");
            }
            Loop loop = new Loop(r.slot, r.start, r.end, initBci, stepBci, step, dim);
            result.loops.add(loop);
            result.byInitBci.put(initBci, loop);
            result.byStepBci.put(stepBci, loop);
        }
        result.loops.sort((a, b) -> Integer.compare(a.startBci, b.startBci));
        return result;
    }
}
