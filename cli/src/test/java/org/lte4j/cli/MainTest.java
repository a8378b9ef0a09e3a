package org.lte4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.BackendKind;

/** The CLI contract other work relies on: exit codes, one-line errors, kernel listing and printing. */
class MainTest {
    private record Run(int status, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new Console(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void kernelListNamesEveryKernelAsClassColonColonMethod() {
        Run r = run("kernel", "--list");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.lines().size() >= 10, r.out());
        for (String line : r.lines()) {
            assertTrue(line.matches("[A-Z][A-Za-z0-9_]*::[a-z][A-Za-z0-9_]*"), line);
        }
        assertTrue(r.lines().contains("MatVec::gemvF16"), r.out());
    }

    @Test
    void kernelPrintGivesAStandaloneTranslationUnitPerTarget() {
        Run cuda = run("kernel", "--print", "MatVec::gemvF32", "--target", "cuda");
        assertEquals(0, cuda.status(), cuda.err());
        assertTrue(cuda.out().contains("extern \"C\" __global__ void"), cuda.out());
        Run cl = run("kernel", "--print", "MatVec::gemvF32", "--target", "opencl");
        assertEquals(0, cl.status(), cl.err());
        assertTrue(cl.out().contains("__kernel void"), cl.out());
    }

    @Test
    void unknownKernelIsOneLineAndExitOne() {
        Run r = run("kernel", "--print", "Nope::nothing");
        assertEquals(1, r.status());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no kernel Nope::nothing"), r.err());
    }

    @Test
    void usageErrorsExitTwoWithTheUsage() {
        Run unknownOption = run("devices", "--colour", "red");
        assertEquals(2, unknownOption.status());
        assertTrue(unknownOption.err().contains("unknown option --colour"), unknownOption.err());
        assertTrue(unknownOption.err().contains("usage: lte4j devices"), unknownOption.err());
        assertEquals(2, run("no-such-command").status());
        Run neither = run("kernel");
        assertEquals(2, neither.status());
    }

    @Test
    void benchOptionsOutOfRangeAreUsageErrors() {
        Run negativeContext = run("bench", "--synthetic", "tiny", "--device", "jvm", "--context", "-1");
        assertEquals(2, negativeContext.status(), negativeContext.err());
        assertTrue(negativeContext.err().contains("context >= 0"), negativeContext.err());
        Run attention = run("bench", "--synthetic", "tiny", "--device", "jvm", "--attention", "flash");
        assertEquals(2, attention.status(), attention.err());
        assertTrue(attention.err().contains("per-position-item, lanes-per-position, split-positions or item-per-head"), attention.err());
        Run q8Input = run("bench", "--synthetic", "tiny", "--device", "jvm", "--q8-input", "int4");
        assertEquals(2, q8Input.status(), q8Input.err());
        assertTrue(q8Input.err().contains("--q8-input must be floats or int8, not 'int4'"), q8Input.err());
    }

    @Test
    void badDeviceSpecSaysWhatIsAccepted() {
        Run r = run("selftest", "--device", "tpu");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("use jvm, opencl, opencl:N, cuda, cuda:N or auto"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --stacktrace: " + r.err());
    }

    @Test
    void devicesListsTheJvmAndExplainsMissingBackends() {
        Run r = run("devices");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("jvm:0"), r.out());
        if (Devices.backend(BackendKind.CUDA).devices().isEmpty()) {
            assertTrue(r.out().contains("cuda: unavailable - ") && r.out().contains("libcuda"), r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("auto -> ")), r.out());
    }

    @Test
    void selftestOnOpenClPassesEveryKernel() {
        Assumptions.assumeFalse(Devices.backend(BackendKind.OPENCL).devices().isEmpty(),
                "no OpenCL device: " + Devices.backend(BackendKind.OPENCL).unavailableReason().orElse(""));
        Run r = run("selftest", "--device", "opencl", "--seed", "5");
        assertEquals(0, r.status(), r.out() + r.err());
        String last = r.lines().getLast();
        assertTrue(last.matches("\\d+ passed, 0 failed"), last);
        assertEquals(r.lines().size() - 1, r.lines().stream().filter(l -> l.startsWith("PASS")).count());
    }
}
