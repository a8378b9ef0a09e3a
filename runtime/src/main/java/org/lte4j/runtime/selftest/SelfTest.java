package org.lte4j.runtime.selftest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Consumer;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.NativeArray;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.TaskGraph;

/**
 * Runs every registered kernel check on a device and against the JVM run of the same method on
 * the same fresh inputs. Prints one line per kernel, then {@code N passed, M failed}.
 */
public final class SelfTest {
    private SelfTest() {
    }

    public record Outcome(String kernel, boolean passed, double maxError, String detail) {
    }

    public record Summary(List<Outcome> outcomes) {
        public long passed() {
            return outcomes.stream().filter(Outcome::passed).count();
        }

        public long failed() {
            return outcomes.size() - passed();
        }
    }

    /** All checks of every provider on the class path, sorted by kernel name. */
    public static List<KernelCheck> allChecks() {
        List<KernelCheck> checks = new ArrayList<>();
        for (KernelCheckProvider p : ServiceLoader.load(KernelCheckProvider.class)) {
            checks.addAll(p.checks());
        }
        checks.sort(Comparator.comparing(KernelCheck::kernelName));
        return checks;
    }

    public static Summary run(Device device, long seed, Consumer<String> out) {
        List<Outcome> outcomes = new ArrayList<>();
        JvmDevice jvm = new JvmDevice();
        for (KernelCheck check : allChecks()) {
            Outcome o = runOne(check, device, jvm, seed);
            outcomes.add(o);
            out.accept(String.format("%s  %-40s %s", o.passed() ? "PASS" : "FAIL", o.kernel(), o.detail()));
        }
        Summary s = new Summary(outcomes);
        out.accept(s.passed() + " passed, " + s.failed() + " failed");
        return s;
    }

    static Outcome runOne(KernelCheck check, Device device, Device reference, long seed) {
        String name = check.kernelName();
        try {
            KernelCheck.Prepared expected = check.prepare(seed);
            execute(expected, reference);
            KernelCheck.Prepared actual = check.prepare(seed);
            execute(actual, device);
            double worst = 0;
            for (int i = 0; i < expected.outputs().size(); i++) {
                worst = Math.max(worst, maxRelativeError(expected.outputs().get(i), actual.outputs().get(i)));
            }
            boolean ok = worst <= actual.tolerance();
            String detail = String.format("max error %.2e (tolerance %.0e) on %s", worst, actual.tolerance(), device.kind().specName + ":" + device.index());
            close(expected);
            close(actual);
            return new Outcome(name, ok, worst, detail);
        } catch (RuntimeException | LinkageError e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Outcome(name, false, Double.NaN, e.getClass().getSimpleName() + ": " + msg.lines().findFirst().orElse(""));
        }
    }

    private static void execute(KernelCheck.Prepared p, Device device) {
        TaskGraph g = new TaskGraph(p.task().name())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, p.inputs().toArray(NativeArray[]::new))
                .task(p.task())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, p.outputs().toArray(NativeArray[]::new));
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
            plan.execute();
        }
    }

    private static void close(KernelCheck.Prepared p) {
        p.inputs().forEach(NativeArray::close);
        p.outputs().stream().filter(o -> !p.inputs().contains(o)).forEach(NativeArray::close);
    }

    /** max over elements of |a - b| / max(1, |a|); NaN in either side is an infinite error. */
    public static double maxRelativeError(NativeArray expected, NativeArray actual) {
        if (expected.getSize() != actual.getSize()) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (long i = 0, n = expected.getSize(); i < n; i++) {
            double a = value(expected, i);
            double b = value(actual, i);
            double e = Math.abs(a - b) / Math.max(1, Math.abs(a));
            if (Double.isNaN(e)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, e);
        }
        return worst;
    }

    private static double value(NativeArray a, long i) {
        return switch (a) {
            case FloatArray f -> f.get(i);
            case HalfArray h -> h.get(i);
            case IntArray n -> n.get(i);
            case ByteArray b -> b.get(i);
        };
    }
}
