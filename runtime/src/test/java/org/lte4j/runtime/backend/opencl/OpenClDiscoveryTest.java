package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lte4j.runtime.backend.BackendKind;

/** Discovery lists devices with their properties, and explains (never throws) when OpenCL is missing. */
class OpenClDiscoveryTest {

    @Test
    void listsDevicesWithTheirProperties() {
        try (OpenClBackend backend = OpenClTestDevice.backend()) {
            assertEquals(BackendKind.OPENCL, backend.kind());
            assertTrue(backend.unavailableReason().isEmpty());
            for (int i = 0; i < backend.devices().size(); i++) {
                OpenClDevice d = backend.devices().get(i);
                assertEquals(i, d.index());
                assertFalse(d.name().isBlank());
                assertFalse(d.info().platformName().isBlank());
                assertTrue(d.info().computeUnits() > 0);
                assertTrue(d.globalMemoryBytes() > 0);
                assertTrue(d.info().maxAllocBytes() > 0 && d.info().maxAllocBytes() <= d.globalMemoryBytes());
                assertTrue(d.maxWorkGroupSize() > 0);
                assertTrue(d.describe().startsWith("opencl:" + i + "  " + d.name()), d.describe());
            }
            assertEquals(backend.devices().size(), OpenClBackend.deviceLines().size());
        }
    }

    @Test
    void missingLibraryIsAReasonNotACrash() throws Exception {
        List<String> out = runDevicesMain(List.of("-Dorg.lwjgl.opencl.libname=libNoSuchOpenCL.so.7"), Map.of());
        assertEquals(1, out.size(), out::toString);
        String line = out.get(0);
        assertTrue(line.startsWith("opencl: unavailable - OpenCL library not found: tried libNoSuchOpenCL.so.7"), line);
        assertTrue(line.contains("pocl-opencl-icd") && line.contains("OCL_ICD_VENDORS"), line);
    }

    @Test
    void noDriversIsAReasonNotACrash(@TempDir Path emptyVendors) throws Exception {
        List<String> out = runDevicesMain(List.of("-Dorg.lwjgl.opencl.libname=libOpenCL.so.1"),
                Map.of("OCL_ICD_VENDORS", emptyVendors.toString()));
        assertEquals(1, out.size(), out::toString);
        assertTrue(out.get(0).contains("no OpenCL platform"), out.get(0));
    }

    /**
     * Where this test's classes, the runtime and LWJGL (with its natives) were loaded from; the
     * JVM's own class path may be a launcher's jar.
     */
    private static String childClassPath() throws Exception {
        List<String> parts = new ArrayList<>();
        for (Class<?> c : List.of(OpenClDevicesMain.class, OpenClBackend.class, org.lwjgl.opencl.CL.class,
                org.lwjgl.system.Library.class)) {
            parts.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        var natives = OpenClBackend.class.getClassLoader().getResource("linux/x64/org/lwjgl/liblwjgl.so");
        if (natives != null && "jar".equals(natives.getProtocol())) {
            String jar = natives.getPath().substring("file:".length(), natives.getPath().indexOf('!'));
            parts.add(Path.of(java.net.URI.create("file:" + jar)).toString());
        }
        return String.join(java.io.File.pathSeparator, parts.stream().distinct().toList());
    }

    /** Runs {@link OpenClDevicesMain} in a child JVM: the OpenCL library is loaded once per process. */
    private static List<String> runDevicesMain(List<String> jvmArgs, Map<String, String> env)
            throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(childClassPath());
        cmd.add(OpenClDevicesMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().putAll(env);
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> "child JVM failed: " + stderr);
        return stdout.lines().filter(l -> !l.isBlank()).toList();
    }
}
