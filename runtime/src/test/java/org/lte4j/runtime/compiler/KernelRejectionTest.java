package org.lte4j.runtime.compiler;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lte4j.runtime.compiler.kernels.BadKernels;

/**
 * Unsupported Java is rejected before any driver runs, with a message naming class, method, source
 * line, bytecode index and construct: {@code BadKernels.m (BadKernels.java:LINE, bci N): construct - why}.
 * The expected line is the one marked {@code // reject: m} in BadKernels.java.
 */
class KernelRejectionTest {
    private static final Path SOURCE = Path.of("src/test/java/org/lte4j/runtime/compiler/kernels/BadKernels.java");

    private static int markedLine(String method) throws IOException {
        List<String> lines = Files.readAllLines(SOURCE);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().endsWith("// reject: " + method)) return i + 1;
        }
        throw new AssertionError("no marker for " + method);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "allocatesObject | BadKernels.allocatesObject | 'new java.lang.StringBuilder' | object allocation",
            "usesString | BadKernels.usesString | string constant \"hello\" | strings",
            "throwsException | BadKernels.throwsException | 'new java.lang.IllegalArgumentException' | object allocation",
            "catchesException | BadKernels.catchesException | try/catch/finally | exceptions",
            "callsArrayFill | BadKernels.callsArrayFill | FloatArray.fill | cannot be used in kernels",
            "callsGetSize | BadKernels.callsGetSize | getSize() | pass the length as an int parameter",
            "readsStaticField | BadKernels.readsStaticField | read of static field org.lte4j.runtime.compiler.kernels.BadKernels.scale | compile-time constants",
            "writesStaticField | BadKernels.writesStaticField | write of static field org.lte4j.runtime.compiler.kernels.BadKernels.counter | static fields",
            "isSynchronized | BadKernels.isSynchronized | synchronized method | synchronization",
            "usesLambda | BadKernels.usesLambda | invokedynamic run | lambdas",
            "concatenatesStrings | BadKernels.concatenatesStrings | invokedynamic makeConcatWithConstants | string concatenation",
            "recurses | BadKernels.factorial | recursive call to BadKernels.factorial | recursion",
            "awaitsInHelper | BadKernels.weightThenAwait | awaitPrecedingKernel() | kernel method itself",
            "multiDimensional | BadKernels.multiDimensional | multi-dimensional array | flat array",
            "callsSystem | BadKernels.callsSystem | call to java.lang.System.nanoTime | JDK method",
            "variablePrivateArray | BadKernels.variablePrivateArray | 'new float[n]' with a variable size | compile-time constant",
            "localArrayWithVariableSize | BadKernels.localArrayWithVariableSize | allocateFloatLocalArray(size) | specialised parameter",
            "heapArrayParameter | BadKernels.heapArrayParameter | parameter 0 of type float[] | kernel parameters must be",
            "parallelVariableAssigned | BadKernels.parallelVariableAssigned | store to @Parallel loop variable | must step by a constant",
            "callsJdkMethod | BadKernels.callsJdkMethod | call to java.lang.Integer.hashCode | JDK method",
            "boundsGroupsToNothing | BadKernels.boundsGroupsToNothing | @MaxWorkGroupSize(0) | at least one item",
    })
    void rejectsWithPosition(String kernel, String where, String construct, String why) throws IOException {
        for (Target target : Target.values()) {
            KernelCompilationException e = assertThrows(KernelCompilationException.class,
                    () -> KernelCompiler.compileUncached(Kernels.method(BadKernels.class, kernel), target, Map.of()));
            String msg = e.getMessage();
            int line = markedLine(kernel);
            Matcher m = Pattern.compile("^" + Pattern.quote(where) + " \\(BadKernels\\.java:(\\d+), bci (\\d+)\\): (.*) - (.*)$").matcher(msg);
            assertTrue(m.matches(), () -> "message format: " + msg);
            assertTrue(Integer.parseInt(m.group(1)) == line, () -> "line " + line + " expected: " + msg);
            assertTrue(m.group(3).contains(construct), () -> "construct '" + construct + "' expected: " + msg);
            assertTrue(m.group(4).contains(why), () -> "reason '" + why + "' expected: " + msg);
        }
    }
}
