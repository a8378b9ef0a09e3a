package org.lte4j.runtime.graph;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

import org.lte4j.runtime.api.KernelCall;

/**
 * Turns {@code () -> Kernels.saxpy(a, x, y, n)} into the kernel {@link Method} and its argument
 * values. The lambda's synthetic body must be: loads of captured variables or constants
 * (with primitive widening), one invokestatic, return. Anything else is an error that says what
 * to write instead.
 */
final class KernelCallResolver {
    private KernelCallResolver() {
    }

    record ResolvedCall(Method kernel, Object[] args) {
    }

    static ResolvedCall resolve(String taskName, KernelCall call) {
        SerializedLambda lambda = serializedForm(taskName, call);
        if (lambda.getImplMethodKind() != MethodHandleInfo.REF_invokeStatic) {
            throw fail(taskName, "write the task as a lambda that calls a static kernel method, e.g. () -> Kernels.saxpy(a, x, y, n)");
        }
        Class<?> implClass = load(taskName, lambda.getImplClass(), call.getClass().getClassLoader());
        MethodModel body = findMethod(taskName, implClass, lambda.getImplMethodName(), lambda.getImplMethodSignature());
        MethodTypeDesc bodyType = MethodTypeDesc.ofDescriptor(lambda.getImplMethodSignature());
        int[] slotToParam = slotsToParams(bodyType);

        Deque<Object> stack = new ArrayDeque<>();
        CodeModel code = body.code().orElseThrow();
        Method kernel = null;
        Object[] args = null;
        for (CodeElement element : code) {
            if (!(element instanceof Instruction insn)) {
                continue;
            }
            switch (insn) {
                case LoadInstruction load -> {
                    int slot = load.slot();
                    if (slot >= slotToParam.length || slotToParam[slot] < 0) {
                        throw fail(taskName, "the lambda reads a local variable it declares itself; pass captured variables or constants only");
                    }
                    stack.push(boxedOrNull(lambda.getCapturedArg(slotToParam[slot])));
                }
                case ConstantInstruction constant -> stack.push(boxedOrNull(constantValue(constant)));
                case ConvertInstruction convert -> stack.push(convert(stack.pop(), convert.opcode()));
                case InvokeInstruction invoke when invoke.opcode() == Opcode.INVOKESTATIC -> {
                    if (kernel != null) {
                        throw fail(taskName, "the lambda calls more than one method; a task is one kernel call");
                    }
                    kernel = findKernel(taskName, implClass.getClassLoader(), invoke);
                    int n = kernel.getParameterCount();
                    args = new Object[n];
                    for (int i = n - 1; i >= 0; i--) {
                        args[i] = unbox(stack.pop(), kernel.getParameterTypes()[i]);
                    }
                }
                case ReturnInstruction ignored -> {
                }
                default -> throw fail(taskName, "the lambda may only pass captured variables or constants to one static kernel"
                        + " method, but it contains '" + insn.opcode().name().toLowerCase() + "'; compute values before declaring the task"
                        + " (and put values that change between executions in an array)");
            }
        }
        if (kernel == null) {
            throw fail(taskName, "the lambda calls no static kernel method");
        }
        return new ResolvedCall(kernel, args);
    }

    private static final Object NULL = new Object();

    private static Object boxedOrNull(Object o) {
        return o == null ? NULL : o;
    }

    private static Object unbox(Object o, Class<?> target) {
        if (o == NULL) {
            return null;
        }
        if (target == boolean.class && o instanceof Integer i) {
            return i != 0;
        }
        if (target == byte.class && o instanceof Integer i) {
            return (byte) (int) i;
        }
        if (target == short.class && o instanceof Integer i) {
            return (short) (int) i;
        }
        if (target == char.class && o instanceof Integer i) {
            return (char) (int) i;
        }
        return o;
    }

    private static Object constantValue(ConstantInstruction constant) {
        return constant.opcode() == Opcode.ACONST_NULL ? null : constant.constantValue();
    }

    private static Object convert(Object v, Opcode op) {
        Number n = (Number) (v instanceof Boolean b ? (b ? 1 : 0) : v instanceof Character c ? (int) c : v);
        return switch (op) {
            case I2L, F2L, D2L -> n.longValue();
            case I2F, L2F, D2F -> n.floatValue();
            case I2D, L2D, F2D -> n.doubleValue();
            case L2I, F2I, D2I -> n.intValue();
            case I2B -> (int) (byte) n.intValue();
            case I2S -> (int) (short) n.intValue();
            case I2C -> (int) (char) n.intValue();
            default -> throw new IllegalStateException(op.name());
        };
    }

    /** For each local slot of the lambda body, the index of the captured argument it holds. */
    private static int[] slotsToParams(MethodTypeDesc type) {
        int slots = 0;
        for (ClassDesc p : type.parameterList()) {
            slots += isWide(p) ? 2 : 1;
        }
        int[] map = new int[slots];
        Arrays.fill(map, -1);
        int slot = 0;
        for (int i = 0; i < type.parameterCount(); i++) {
            map[slot] = i;
            slot += isWide(type.parameterType(i)) ? 2 : 1;
        }
        return map;
    }

    private static boolean isWide(ClassDesc d) {
        return d.descriptorString().equals("J") || d.descriptorString().equals("D");
    }

    private static Method findKernel(String taskName, ClassLoader loader, InvokeInstruction invoke) {
        Class<?> owner = load(taskName, invoke.owner().asInternalName(), loader);
        String descriptor = invoke.typeSymbol().descriptorString();
        for (Method m : owner.getDeclaredMethods()) {
            if (m.getName().equals(invoke.name().stringValue())
                    && MethodTypeDesc.of(classDesc(m.getReturnType()),
                    Arrays.stream(m.getParameterTypes()).map(KernelCallResolver::classDesc).toArray(ClassDesc[]::new))
                    .descriptorString().equals(descriptor)) {
                if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
                    throw fail(taskName, owner.getSimpleName() + "." + m.getName() + " must be a static void method to be a kernel");
                }
                m.setAccessible(true);
                return m;
            }
        }
        throw fail(taskName, "kernel method " + owner.getName() + "." + invoke.name() + " not found");
    }

    private static ClassDesc classDesc(Class<?> c) {
        return c.describeConstable().orElseThrow();
    }

    private static SerializedLambda serializedForm(String taskName, KernelCall call) {
        try {
            Method writeReplace = call.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            return (SerializedLambda) writeReplace.invoke(call);
        } catch (ReflectiveOperationException | ClassCastException | SecurityException e) {
            throw fail(taskName, "the kernel call must be a lambda expression such as () -> Kernels.saxpy(a, x, y, n)");
        }
    }

    private static Class<?> load(String taskName, String internalName, ClassLoader loader) {
        try {
            return Class.forName(internalName.replace('/', '.'), false, loader);
        } catch (ClassNotFoundException e) {
            throw fail(taskName, "class " + internalName + " not found");
        }
    }

    static MethodModel findMethod(String taskName, Class<?> owner, String name, String descriptor) {
        ClassModel model = classModel(owner);
        for (MethodModel m : model.methods()) {
            if (m.methodName().equalsString(name) && m.methodType().equalsString(descriptor)) {
                return m;
            }
        }
        throw fail(taskName, "method " + owner.getName() + "." + name + descriptor + " not found in its class file");
    }

    static ClassModel classModel(Class<?> owner) {
        String resource = owner.getName().replace('.', '/') + ".class";
        ClassLoader loader = owner.getClassLoader() != null ? owner.getClassLoader() : ClassLoader.getSystemClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("class file " + resource + " is not readable from its class loader");
            }
            return ClassFile.of().parse(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read class file " + resource + ": " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException fail(String taskName, String why) {
        return new IllegalArgumentException("task '" + taskName + "': " + why);
    }
}
