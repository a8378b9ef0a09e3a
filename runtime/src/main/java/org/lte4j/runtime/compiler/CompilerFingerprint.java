package org.lte4j.runtime.compiler;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A digest of the kernel compiler's own class files, part of every kernel's cache key: a build whose
 * compiler emits other code for the same kernel (a new support function, an emitter change) must
 * not find the source and binaries of an older build in the disk caches. A version string bumped by
 * hand alone had been forgotten: PoCL kept running the old fp16 conversion after it was replaced.
 */
final class CompilerFingerprint {
    /** Hex digits of the digest, or "unknown" when the class files could not be read. */
    static final String VALUE = compute();

    private CompilerFingerprint() {
    }

    private static String compute() {
        try {
            Path location = Path.of(CompilerFingerprint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            String folder = CompilerFingerprint.class.getPackageName().replace('.', '/') + "/";
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (Files.isDirectory(location)) {
                try (Stream<Path> files = Files.list(location.resolve(folder))) {
                    for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                        add(sha, p.getFileName().toString(), Files.readAllBytes(p));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    List<JarEntry> classes = jar.stream()
                            .filter(e -> e.getName().startsWith(folder) && e.getName().endsWith(".class"))
                            .sorted(Comparator.comparing(JarEntry::getName))
                            .toList();
                    for (JarEntry e : classes) {
                        try (InputStream in = jar.getInputStream(e)) {
                            add(sha, e.getName().substring(folder.length()), in.readAllBytes());
                        }
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException | NoSuchAlgorithmException | RuntimeException | URISyntaxException e) {
            return "unknown"; // the keys then rest on KernelCompiler's version string alone
        }
    }

    private static void add(MessageDigest sha, String name, byte[] bytes) {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update(bytes);
    }
}
