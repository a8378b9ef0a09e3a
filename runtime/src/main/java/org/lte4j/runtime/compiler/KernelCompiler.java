package org.lte4j.runtime.compiler;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.TypeKind;

import org.lte4j.runtime.api.MaxWorkGroupSize;

/**
 * Java kernel method -> OpenCL C or CUDA C.
 *
 * <p>Design. The method's class file is read with {@code java.lang.classfile}; {@link MethodTranslator}
 * splits the bytecode into basic blocks and turns each into typed IR ({@link Expr}, {@link Stmt}),
 * keeping a symbolic operand stack so that expressions come out whole. Control flow is not
 * re-structured: every block becomes a C label and branches become {@code goto}; Java locals become
 * one C variable per (slot, type), and values left on the operand stack at a block's end go to one
 * variable per (depth, type). The vendor compilers (LLVM-based on both sides) rebuild the loops.
 * {@code @Parallel} loops (found in the RuntimeVisibleTypeAnnotations of the Code) become
 * grid-stride loops; KernelContext reads and calls become work-item queries, barriers, local memory
 * and atomics; other static methods become C helper functions, specialised by the address space of
 * the arrays passed to them. Anything outside the subset is rejected before any driver is involved,
 * naming class, method, source line, bytecode index and construct. {@link CEmitter} prints the IR for
 * one dialect.
 *
 * <p>Java semantics kept where C differs: shift counts are masked; {@code >>>} shifts an unsigned
 * cast; float-to-int conversions saturate and map NaN to 0; Math.min/max propagate NaN and order
 * -0.0 below +0.0; floating comparisons give Java's answer for NaN. Deliberate departures:
 * {@code (float) Math.f((double) x)} is emitted as single-precision {@code f(x)} (exact for sqrt,
 * floor, ceil, abs; within the device library's ulp bound for transcendental functions); integer
 * overflow in +, -, * and division by zero are left to the device (wrapping in practice, but C
 * calls signed overflow undefined); a Java array allocated in a loop reuses one storage per
 * allocation site (zeroed on each allocation); the device compilers may contract {@code a * b + c}
 * into a fused multiply-add (OpenCL's FP_CONTRACT default, nvcc's --fmad=true), which Java never does,
 * so float results can differ from the JVM in the last bits - kept because GEMV speed depends on it.
 *
 * <p>Results are cached in memory and on disk ({@link KernelCache}), keyed by a hash of the class
 * files holding the kernel and every method it can reach, the specialisations and the target.
 */
public final class KernelCompiler {
    /**
     * Bumped when the generated code changes for the same input for a reason outside this
     * package's class files, which the cache keys cover themselves ({@link CompilerFingerprint}).
     */
    private static final String COMPILER_VERSION = "lte4j-kernel-compiler-5";

    private KernelCompiler() {
    }

    /**
     * Compiles {@code kernel} (a static void method) for {@code target}, through the default cache.
     *
     * @param specialisations scalar arguments, by Java parameter index, whose values are baked
     *                        into the code as constants (e.g. a local-array size); the parameter
     *                        stays in the C signature so the launch ABI does not change
     * @throws KernelCompilationException when the method uses unsupported Java
     */
    public static GeneratedKernel compile(Method kernel, Target target, Map<Integer, Object> specialisations) {
        return compile(kernel, target, specialisations, KernelCache.defaultCache());
    }

    /** As {@link #compile(Method, Target, Map)}, with an explicit cache. */
    public static GeneratedKernel compile(Method kernel, Target target, Map<Integer, Object> specialisations, KernelCache cache) {
        Map<Integer, Object> specs = new TreeMap<>(specialisations == null ? Map.of() : specialisations);
        KernelCache.MemoryKey memoryKey = new KernelCache.MemoryKey(kernel, target, Map.copyOf(checkSpecialisations(kernel, specs)));
        GeneratedKernel hit = cache.fromMemory(memoryKey);
        if (hit != null) {
            return hit;
        }
        Prepared p = prepare(kernel, target, specs);
        GeneratedKernel k = cache.fromDisk(p.cacheKey, target).orElseGet(() -> {
            GeneratedKernel fresh = translate(p, target, specs);
            cache.toDisk(fresh);
            return fresh;
        });
        cache.toMemory(memoryKey, k);
        return k;
    }

    /** Compiles without reading or writing any cache (for tests and {@code lte4j kernel --print}). */
    public static GeneratedKernel compileUncached(Method kernel, Target target, Map<Integer, Object> specialisations) {
        Map<Integer, Object> specs = new TreeMap<>(specialisations == null ? Map.of() : specialisations);
        checkSpecialisations(kernel, specs);
        return translate(prepare(kernel, target, specs), target, specs);
    }

    private record Prepared(Method method, ClassFiles files, ClassFiles.LoadedMethod loaded, List<ParamKind> params,
                            String cacheKey) {
    }

    private static Map<Integer, Object> checkSpecialisations(Method kernel, Map<Integer, Object> specs) {
        Class<?>[] types = kernel.getParameterTypes();
        for (Map.Entry<Integer, Object> e : specs.entrySet()) {
            int i = e.getKey();
            Object v = e.getValue();
            String where = KernelIntrospection.describe(kernel) + ": specialisation of parameter " + i;
            if (i < 0 || i >= types.length) {
                throw new KernelCompilationException(where + " - the kernel has " + types.length + " parameters");
            }
            Class<?> t = types[i];
            boolean ok = t == int.class && v instanceof Integer || t == long.class && (v instanceof Long || v instanceof Integer)
                    || t == float.class && v instanceof Float || t == double.class && (v instanceof Double || v instanceof Float)
                    || t == boolean.class && v instanceof Boolean;
            if (!ok) {
                throw new KernelCompilationException(where + " - a " + t.getSimpleName() + " parameter cannot take the value "
                        + v + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")"));
            }
        }
        return specs;
    }

    private static Prepared prepare(Method kernel, Target target, Map<Integer, Object> specs) {
        ClassFiles files = new ClassFiles(kernel.getDeclaringClass().getClassLoader());
        String owner = ClassFiles.internalName(kernel.getDeclaringClass());
        String desc = KernelIntrospection.descriptor(kernel);
        ClassFiles.LoadedMethod loaded = files.method(owner, kernel.getName(), desc).orElseThrow(() ->
                new KernelCompilationException(KernelIntrospection.describe(kernel)
                        + ": the class file of " + kernel.getDeclaringClass().getName() + " cannot be read, or the method has no code"));
        if (!Modifier.isStatic(kernel.getModifiers())) {
            throw error(loaded, "instance method " + kernel.getName(), "a kernel must be a static method");
        }
        if (kernel.getReturnType() != void.class) {
            throw error(loaded, "return type " + kernel.getReturnType().getSimpleName(), "a kernel must return void");
        }
        List<ParamKind> params = new ArrayList<>();
        Class<?>[] types = kernel.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            ParamKind k = ParamKind.of(types[i]);
            if (k == null) {
                throw error(loaded, "parameter " + i + " of type " + types[i].getSimpleName(),
                        "kernel parameters must be FloatArray, HalfArray, IntArray, ByteArray, int, long, float, double, boolean or KernelContext");
            }
            params.add(k);
        }
        CallGraph.Reach reach = CallGraph.scan(files, owner, kernel.getName(), desc);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        sha.update((COMPILER_VERSION + "\n" + CompilerFingerprint.VALUE + "\n" + target + "\n" + owner + "." + kernel.getName() + desc + "\n").getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<Integer, Object> e : specs.entrySet()) {
            sha.update((e.getKey() + "=" + e.getValue().getClass().getSimpleName() + ":" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        for (String c : reach.classes()) {
            sha.update(c.getBytes(StandardCharsets.UTF_8));
            files.load(c).ifPresent(l -> sha.update(l.bytes()));
        }
        String key = HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        return new Prepared(kernel, files, loaded, List.copyOf(params), key);
    }

    private static KernelCompilationException error(ClassFiles.LoadedMethod m, String construct, String why) {
        int line = -1;
        for (var el : m.code().elementList()) {
            if (el instanceof java.lang.classfile.instruction.LineNumber ln) {
                line = ln.line();
                break;
            }
        }
        return new KernelCompilationException(m.displayName() + " (" + m.owner().sourceFile() + (line >= 0 ? ":" + line : "")
                + ", bci 0): " + construct + " - " + why);
    }

    private static GeneratedKernel translate(Prepared p, Target target, Map<Integer, Object> specs) {
        CompileSession session = new CompileSession(p.files, specs);
        String entry = session.uniqueFunctionName(entryName(p, specs));
        List<IrType> paramTypes = p.params.stream().map(IrType::forParam).toList();
        MethodTranslator translator = new MethodTranslator(session, p.loaded, true, paramTypes, entry);
        session.inProgress.push(p.loaded.owner().internalName() + "." + p.loaded.name() + p.loaded.descriptor());
        IrFunction fn = translator.translate();
        String description = p.loaded.displayName() + p.loaded.descriptor() + (specs.isEmpty() ? "" : ", specialised " + specs);
        MaxWorkGroupSize bound = p.method.getAnnotation(MaxWorkGroupSize.class);
        if (bound != null && bound.value() < 1) {
            throw error(p.loaded, "@MaxWorkGroupSize(" + bound.value() + ")", "the largest work-group must be at least one item");
        }
        String source = new CEmitter(target).translationUnit(description, session.helpers, fn, bound == null ? 0 : bound.value());
        return new GeneratedKernel(entry, source, target, p.params, loopBoundParam(translator),
                session.usesContext, session.usesBarrier, p.cacheKey);
    }

    /**
     * The parameter bounding the outermost {@code @Parallel} loop when the loop test is
     * {@code i < param} (javac: iload i; iload param; if_icmpge exit) and the parameter is never assigned.
     */
    private static OptionalInt loopBoundParam(MethodTranslator t) {
        ParallelLoops.Loop outer = t.parallelLoops().loops.stream().filter(l -> l.dim() == 0).findFirst().orElse(null);
        if (outer == null) {
            return OptionalInt.empty();
        }
        List<MethodTranslator.Insn> insns = t.instructions();
        for (int k = 0; k + 2 < insns.size(); k++) {
            if (insns.get(k).bci() != outer.startBci()) {
                continue;
            }
            if (insns.get(k).ins() instanceof LoadInstruction i && i.slot() == outer.slot()
                    && insns.get(k + 1).ins() instanceof LoadInstruction n && n.typeKind() == TypeKind.INT
                    && insns.get(k + 2).ins() instanceof BranchInstruction b && b.opcode() == Opcode.IF_ICMPGE) {
                Integer param = t.unassignedParamAtSlot(n.slot());
                if (param != null) {
                    return OptionalInt.of(param);
                }
            }
        }
        return OptionalInt.empty();
    }

    /** Class_method, plus a short hash when the name is overloaded or the kernel is specialised. */
    private static String entryName(Prepared p, Map<Integer, Object> specs) {
        String name = p.loaded.owner().displayName() + "_" + p.loaded.name();
        long overloads = p.loaded.owner().model().methods().stream().filter(m -> m.methodName().equalsString(p.loaded.name())).count();
        if (overloads > 1) {
            name += "_" + Integer.toHexString(p.loaded.descriptor().hashCode() & 0xffffff);
        }
        if (!specs.isEmpty()) {
            name += "_s" + Integer.toHexString(specs.toString().hashCode() & 0xffffff);
        }
        return name;
    }
}
