package org.lte4j.runtime.backend.jvm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.Set;

import org.lte4j.runtime.api.KernelContext;

/**
 * Finds whether a kernel (or a static method it calls) uses a work-group barrier. Only such
 * kernels need one thread per work-item on the JVM; the rest run as a plain loop.
 */
final class BarrierScan {
    private static final String CONTEXT = KernelContext.class.getName().replace('.', '/');

    private BarrierScan() {
    }

    static boolean usesBarrier(Method m) {
        return scan(m.getDeclaringClass(), m.getName(), methodDescriptor(m), new HashSet<>(), m.getDeclaringClass().getClassLoader());
    }

    private static boolean scan(Class<?> owner, String name, String descriptor, Set<String> seen, ClassLoader loader) {
        if (!seen.add(owner.getName() + "." + name + descriptor)) {
            return false;
        }
        ClassModel model = read(owner);
        for (MethodModel mm : model.methods()) {
            if (!mm.methodName().equalsString(name) || !mm.methodType().equalsString(descriptor) || mm.code().isEmpty()) {
                continue;
            }
            for (CodeElement e : mm.code().get()) {
                if (e instanceof InvokeInstruction inv) {
                    String o = inv.owner().asInternalName();
                    if (o.equals(CONTEXT) && (inv.name().equalsString("localBarrier") || inv.name().equalsString("globalBarrier"))) {
                        return true;
                    }
                    if (!o.startsWith("java/") && !o.equals(CONTEXT)) {
                        try {
                            Class<?> callee = Class.forName(o.replace('/', '.'), false, loader);
                            if (scan(callee, inv.name().stringValue(), inv.type().stringValue(), seen, loader)) {
                                return true;
                            }
                        } catch (ClassNotFoundException ignored) {
                            // not a kernel class we can see; it cannot contain our barrier
                        }
                    }
                }
            }
        }
        return false;
    }

    private static ClassModel read(Class<?> owner) {
        String resource = owner.getName().replace('.', '/') + ".class";
        ClassLoader loader = owner.getClassLoader() != null ? owner.getClassLoader() : ClassLoader.getSystemClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("class file " + resource + " is not readable");
            }
            return ClassFile.of().parse(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    private static String methodDescriptor(Method m) {
        StringBuilder sb = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) {
            sb.append(p.descriptorString());
        }
        return sb.append(')').append(m.getReturnType().descriptorString()).toString();
    }
}
