package org.lte4j.runtime.compiler;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.attribute.SourceFileAttribute;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Reads class files of kernel classes (through their class loader) and finds methods in them. */
final class ClassFiles {
    private final ClassLoader loader;
    private final Map<String, Loaded> classes = new HashMap<>();

    ClassFiles(ClassLoader loader) {
        this.loader = loader;
    }

    /** A parsed class and its raw bytes (hashed into the cache key). */
    record Loaded(String internalName, byte[] bytes, ClassModel model) {
        /** The class name as messages show it: the binary name without the package. */
        String displayName() {
            return internalName.substring(internalName.lastIndexOf('/') + 1);
        }

        String sourceFile() {
            return model.findAttribute(Attributes.sourceFile()).map(SourceFileAttribute::sourceFile)
                    .map(e -> e.stringValue()).orElse(displayName() + ".java");
        }
    }

    /** A method with its code, ready to translate. */
    record LoadedMethod(Loaded owner, MethodModel method, CodeAttribute code) {
        String name() {
            return method.methodName().stringValue();
        }

        String descriptor() {
            return method.methodType().stringValue();
        }

        String displayName() {
            return owner.displayName() + "." + name();
        }
    }

    /** The class, or empty when its class file cannot be found. */
    Optional<Loaded> load(String internalName) {
        Loaded cached = classes.get(internalName);
        if (cached != null) {
            return Optional.of(cached);
        }
        String resource = internalName + ".class";
        try (InputStream in = loader != null ? loader.getResourceAsStream(resource)
                : ClassLoader.getSystemResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            Loaded loaded = new Loaded(internalName, bytes, ClassFile.of().parse(bytes));
            classes.put(internalName, loaded);
            return Optional.of(loaded);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The method with this name and descriptor, with code; empty if absent or abstract/native. */
    Optional<LoadedMethod> method(String owner, String name, String descriptor) {
        return load(owner).flatMap(c -> c.model().methods().stream()
                .filter(m -> m.methodName().equalsString(name) && m.methodType().equalsString(descriptor))
                .findFirst()
                .flatMap(m -> m.findAttribute(Attributes.code()).map(code -> new LoadedMethod(c, m, code))));
    }

    static String internalName(Class<?> c) {
        return c.getName().replace('.', '/');
    }

    /** True for classes whose methods are never compiled as helpers (the JDK). */
    static boolean isPlatformClass(String internalName) {
        return internalName.startsWith("java/") || internalName.startsWith("javax/") || internalName.startsWith("jdk/")
                || internalName.startsWith("sun/") || internalName.startsWith("com/sun/");
    }
}
