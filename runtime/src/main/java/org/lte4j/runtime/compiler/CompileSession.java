package org.lte4j.runtime.compiler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * State shared by the translation of one kernel and its callees: the class files, the helper
 * functions compiled so far (in an order where callees precede callers), the call stack (to
 * reject recursion) and what the kernel turned out to use.
 */
final class CompileSession {
    final ClassFiles classes;
    final Map<Integer, Object> specialisations;
    final List<IrFunction> helpers = new ArrayList<>();
    private final Map<String, String> helperNames = new HashMap<>();
    private final Set<String> helpersWithBarriers = new HashSet<>();
    private final Set<String> functionNames = new HashSet<>();
    final Deque<String> inProgress = new ArrayDeque<>();
    boolean usesContext;
    boolean usesBarrier;
    /** Barriers translated so far, in the kernel and every helper: whether a helper has one is whether this grew while it was translated. */
    int barriers;

    CompileSession(ClassFiles classes, Map<Integer, Object> specialisations) {
        this.classes = classes;
        this.specialisations = specialisations;
    }

    /** A C identifier for a function, unique in this translation unit. */
    String uniqueFunctionName(String base) {
        String name = sanitise(base);
        String candidate = name;
        for (int i = 2; !functionNames.add(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    String helperName(String key) {
        return helperNames.get(key);
    }

    void registerHelper(String key, String name, boolean hasBarrier) {
        helperNames.put(key, name);
        if (hasBarrier) {
            helpersWithBarriers.add(key);
        }
    }

    /** Whether the helper registered under {@code key} (or one it calls) has a work-group barrier. */
    boolean hasBarrier(String key) {
        return helpersWithBarriers.contains(key);
    }

    static String sanitise(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) && c < 128 ? c : '_');
        }
        if (b.isEmpty() || Character.isDigit(b.charAt(0))) {
            b.insert(0, '_');
        }
        return b.toString();
    }
}
