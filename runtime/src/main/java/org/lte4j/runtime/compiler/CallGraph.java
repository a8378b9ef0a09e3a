package org.lte4j.runtime.compiler;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cheap scan of the static methods a kernel can reach, without translating them: which classes
 * their bytecode lives in (hashed into the cache key) and whether any of them calls a barrier.
 */
final class CallGraph {
    private CallGraph() {
    }

    /** @param classes internal names of the classes holding reachable code, sorted */
    record Reach(Set<String> classes, boolean usesBarrier) {
    }

    static Reach scan(ClassFiles files, String owner, String name, String descriptor) {
        Set<String> seen = new LinkedHashSet<>();
        Set<String> classes = new TreeSet<>();
        Deque<String[]> work = new ArrayDeque<>();
        work.push(new String[]{owner, name, descriptor});
        boolean barrier = false;
        while (!work.isEmpty()) {
            String[] m = work.pop();
            if (!seen.add(m[0] + "." + m[1] + m[2])) {
                continue;
            }
            var method = files.method(m[0], m[1], m[2]);
            if (method.isEmpty()) {
                continue; // reported properly by the translator
            }
            classes.add(m[0]);
            for (CodeElement el : method.get().code().elementList()) {
                if (el instanceof InvokeInstruction inv) {
                    String o = inv.owner().asInternalName();
                    String n = inv.name().stringValue();
                    if (inv.opcode() == Opcode.INVOKESTATIC && !ClassFiles.isPlatformClass(o)) {
                        work.push(new String[]{o, n, inv.type().stringValue()});
                    } else if (o.equals("org/lte4j/runtime/api/KernelContext")
                            && (n.equals("localBarrier") || n.equals("globalBarrier"))) {
                        barrier = true;
                    }
                }
            }
        }
        return new Reach(classes, barrier);
    }
}
