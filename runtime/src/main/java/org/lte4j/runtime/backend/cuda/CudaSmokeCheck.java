package org.lte4j.runtime.backend.cuda;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.backend.CapturedWork;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.DeviceOutOfMemoryException;
import org.lte4j.runtime.backend.ProfileRecord;

/**
 * Checks a CUDA device end to end and prints one PASS/FAIL/SKIP line per check, then
 * {@code RESULT: PASS} or {@code RESULT: FAIL} (exit status 0 or 1): saxpy and a shared-memory
 * reduction against scalar Java, every scalar kind of the kernel ABI, NVRTC's error log, the
 * binary cache, CUDA graph capture and replay against direct execution, profiling records, and
 * the Java-kernel compiler path when the compiler is present. Also prints launch overheads (INFO).
 *
 * <p>Usage: {@code CudaSmokeCheck [--device N] [--n ELEMENTS] [--cache DIR] [--cuda-library PATH] [--nvrtc-library PATH]}
 */
public final class CudaSmokeCheck {
    private final PrintStream out;
    private int passed;
    private int failed;

    private CudaSmokeCheck(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** Runs every check; returns the exit status. */
    public static int run(String[] args, PrintStream out) {
        int deviceIndex = 0;
        int n = 1 << 24;
        Path cache = null;
        CudaBackend.Options options = CudaBackend.Options.defaults();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--device" -> deviceIndex = Integer.parseInt(args[++i]);
                    case "--n" -> n = Integer.parseInt(args[++i]);
                    case "--cache" -> cache = Path.of(args[++i]);
                    case "--cuda-library" -> options = options.withCudaLibrary(Path.of(args[++i]));
                    case "--nvrtc-library" -> options = options.withNvrtcLibrary(Path.of(args[++i]));
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            if (cache == null) {
                cache = Files.createTempDirectory("lte4j-cuda-cache");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException | IOException e) {
            out.println("usage: CudaSmokeCheck [--device N] [--n ELEMENTS] [--cache DIR] [--cuda-library PATH]"
                    + " [--nvrtc-library PATH]  (" + e.getMessage() + ")");
            return 2;
        }
        CudaBackend backend = new CudaBackend(options.withCacheDirectory(cache));
        if (backend.unavailableReason().isPresent()) {
            out.println("FAIL cuda backend unavailable: " + backend.unavailableReason().get());
            out.println("RESULT: FAIL");
            return 1;
        }
        out.println("INFO " + backend.versions().orElse(""));
        out.println("INFO LWJGL driver bindings without an entry point in this driver (unused): "
                + (backend.driverFunctionsMissing().isEmpty() ? "none" : String.join(", ", backend.driverFunctionsMissing())));
        backend.devices().forEach(d -> out.println("INFO " + d.describe()));
        CudaSmokeCheck check = new CudaSmokeCheck(out);
        try (backend) {
            CudaDevice device = backend.device(deviceIndex);
            out.println("INFO compiling for " + device.compileArchitecture() + ", cache " + cache);
            check.all(device, n, cache);
        }
        // Last, so that a misbehaving OpenCL driver cannot hide the CUDA results: shows whether the
        // launcher's OpenCL vendor files reach the NVIDIA driver too.
        try {
            org.lte4j.runtime.backend.opencl.OpenClBackend.deviceLines().forEach(l -> out.println("INFO " + l));
        } catch (Throwable t) {
            out.println("INFO opencl: listing failed: " + t);
        }
        out.println("RESULT: " + (check.failed == 0 ? "PASS" : "FAIL") + " (" + check.passed + " passed, "
                + check.failed + " failed)");
        return check.failed == 0 ? 0 : 1;
    }

    private interface Check {
        String run() throws Exception;
    }

    private void check(String name, Check body) {
        long t0 = System.nanoTime();
        try {
            String detail = body.run();
            passed++;
            out.printf("PASS %s (%.1f ms)%s%n", name, (System.nanoTime() - t0) / 1e6, detail == null ? "" : ": " + detail);
        } catch (Skip s) {
            out.println("SKIP " + name + ": " + s.getMessage());
        } catch (Throwable t) {
            failed++;
            out.println("FAIL " + name + ": " + t);
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("org.lte4j")) {
                    out.println("       at " + e);
                }
            }
        }
        out.flush();
    }

    private static final class Skip extends RuntimeException {
        Skip(String why) {
            super(why);
        }
    }

    private void all(CudaDevice device, int n, Path cache) {
        check("saxpy (hand-written CUDA C), n=" + n, () -> saxpy(device, device.build(CudaSampleKernels.SAXPY), n));
        check("shared-memory block reduction (hand-written CUDA C), n=" + (n + 37),
                () -> reduction(device, device.build(CudaSampleKernels.BLOCK_SUMS), n + 37));
        check("scalar ABI: long, double, boolean, int arrays", () -> abi(device));
        check("NVRTC error log reaches the exception", () -> {
            try {
                device.build(CudaSampleKernels.BROKEN);
            } catch (BackendException e) {
                require(e.getMessage().contains("undeclared_variable"), "log missing from: " + e.getMessage());
                return e.getMessage().lines().findFirst().orElse("");
            }
            throw new AssertionError("broken source compiled");
        });
        check("binary cache on disk", () -> {
            try (Stream<Path> files = Files.list(cache)) {
                List<String> names = files.map(p -> p.getFileName().toString()).filter(f -> f.contains("saxpy")).toList();
                require(!names.isEmpty(), "no saxpy binary in " + cache);
                return String.join(", ", names);
            }
        });
        check("argument validation names kernel and parameter", () -> {
            try (DeviceKernel k = device.build(CudaSampleKernels.SAXPY)) {
                device.launch(k, new Object[] {2.0, null, null, 4}, null, WorkerGrid.of(4));
            } catch (IllegalArgumentException e) {
                require(e.getMessage().contains("saxpy") && e.getMessage().contains("parameter 0"), e.getMessage());
                return e.getMessage();
            }
            throw new AssertionError("a double for a float parameter was accepted");
        });
        check("allocation beyond free memory is DeviceOutOfMemoryException", () -> {
            long tooMuch = device.globalMemoryBytes() + (1L << 30);
            ByteArray huge = ByteArray.wrap(MemorySegment.NULL.reinterpret(tooMuch)); // never touched on the host
            try (DeviceBuffer b = device.allocate(huge)) {
                throw new AssertionError("allocated " + b.byteSize() + " bytes");
            } catch (DeviceOutOfMemoryException e) {
                return e.getMessage();
            }
        });
        check("profiling records for copy, kernel, copy", () -> profiling(device, n));
        check("graph capture of kernels replays like direct execution", () -> graphKernelsOnly(device, n));
        check("graph capture with copies from pinned host memory", () -> graphWithCopies(device, n, true));
        check("graph capture with copies from pageable host memory", () -> graphWithCopies(device, n, false));
        check("compiled Java saxpy (KernelCompiler -> NVRTC)", () -> {
            DeviceKernel k = compiled(device, "saxpy", float.class, FloatArray.class, FloatArray.class, int.class);
            return saxpy(device, k, n);
        });
        check("compiled Java KernelContext reduction", () -> {
            DeviceKernel k = compiled(device, "blockSums", KernelContext.class, FloatArray.class, FloatArray.class, int.class);
            return reduction(device, k, n + 37);
        });
        check("launches from another platform thread and a virtual thread", () -> {
            DeviceKernel k = device.build(CudaSampleKernels.SAXPY); // built here, launched there: the context follows the caller
            try (k) {
                for (Thread.Builder builder : List.of(Thread.ofPlatform(), Thread.ofVirtual())) {
                    String[] result = new String[1];
                    Throwable[] failure = new Throwable[1];
                    Thread t = builder.start(() -> {
                        try {
                            result[0] = saxpy(device, k, 1 << 16);
                        } catch (Throwable e) {
                            failure[0] = e;
                        }
                    });
                    t.join();
                    if (failure[0] != null) {
                        throw new AssertionError((t.isVirtual() ? "virtual" : "platform") + " thread: " + failure[0], failure[0]);
                    }
                }
                return "saxpy right from both";
            }
        });
        check("launch overhead (INFO)", () -> overhead(device));
        check("copy bandwidth, pageable and pinned (INFO)", () -> copyBandwidth(device, n));
    }

    private static DeviceKernel compiled(CudaDevice device, String method, Class<?>... types) throws Exception {
        try {
            return device.build(CudaSmokeKernels.class.getMethod(method, types), Map.of());
        } catch (UnsupportedOperationException e) {
            throw new Skip("the kernel compiler is not available yet (" + e.getMessage() + ")");
        }
    }

    // ---- the checks ----------------------------------------------------------------------------

    private static String saxpy(CudaDevice device, DeviceKernel k, int n) {
        float alpha = 2.5f;
        try (FloatArray x = random(n, 1); FloatArray y = random(n, 2); FloatArray got = new FloatArray(n);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            device.launch(k, new Object[] {alpha, dx, dy, n}, new FloatArray[] {null, x, y, null}, WorkerGrid.of(n));
            device.copyToHost(got, dy);
            device.synchronize();
            for (int i = 0; i < n; i++) {
                float want = alpha * x.get(i) + y.get(i);
                requireClose(got.get(i), want, "y[" + i + "]");
            }
            return "all " + n + " elements within 2 ulp of scalar Java";
        }
    }

    private static String reduction(CudaDevice device, DeviceKernel k, int n) {
        int groups = 1024;
        try (FloatArray in = random(n, 3); FloatArray partial = new FloatArray(groups);
             DeviceBuffer din = device.allocate(in); DeviceBuffer dp = device.allocate(partial)) {
            device.copyToDevice(din, in);
            device.launch(k, new Object[] {null, din, dp, n}, null, WorkerGrid.of(groups * 256, 256));
            device.copyToHost(partial, dp);
            device.synchronize();
            double got = 0;
            for (int g = 0; g < groups; g++) {
                got += partial.get(g);
            }
            double want = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                want += in.get(i);
                magnitude += Math.abs(in.get(i));
            }
            require(Math.abs(got - want) <= 1e-6 * magnitude, "sum " + got + " vs scalar Java " + want);
            return "sum " + got + " vs scalar Java " + want;
        }
    }

    private static String abi(CudaDevice device) {
        int n = 1000;
        long offset = 3_000_000_000L; // beyond int: a long passed as 32 bits would show
        double factor = 1e-9;
        try (DeviceKernel k = device.build(CudaSampleKernels.ABI_MIX); FloatArray f = new FloatArray(n);
             IntArray ints = new IntArray(n); DeviceBuffer df = device.allocate(f); DeviceBuffer di = device.allocate(ints)) {
            device.launch(k, new Object[] {df, di, offset, factor, true, n}, null, null); // grid from the loop bound
            device.copyToHost(f, df);
            device.copyToHost(ints, di);
            device.synchronize();
            for (int i = 0; i < n; i++) {
                float wantF = (float) -(factor * (double) (i + offset));
                int wantI = (int) (i + offset);
                require(Float.floatToRawIntBits(f.get(i)) == Float.floatToRawIntBits(wantF), "f[" + i + "] = " + f.get(i) + ", want " + wantF);
                require(ints.get(i) == wantI, "k[" + i + "] = " + ints.get(i) + ", want " + wantI);
            }
            return "f[0]=" + f.get(0) + " k[0]=" + ints.get(0);
        }
    }

    private static String profiling(CudaDevice device, int n) {
        try (DeviceKernel k = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 4);
             DeviceBuffer dx = device.allocate(x)) {
            device.setProfiling(true);
            device.copyToDevice(dx, x);
            device.launch(k, new Object[] {1.0f, dx, dx, n}, null, WorkerGrid.of(n));
            device.copyToHost(x, dx);
            device.synchronize();
            List<ProfileRecord> records = device.takeProfile();
            device.setProfiling(false);
            require(records.size() == 3, "expected 3 records, got " + records);
            require(records.get(0).kind() == ProfileRecord.Kind.COPY_TO_DEVICE && records.get(0).bytes() == 4L * n, records.get(0).toString());
            require(records.get(1).kind() == ProfileRecord.Kind.KERNEL && records.get(1).label().equals("saxpy"), records.get(1).toString());
            require(records.get(2).kind() == ProfileRecord.Kind.COPY_TO_HOST, records.get(2).toString());
            for (ProfileRecord r : records) {
                require(r.deviceNanos() > 0, "no device time in " + r);
            }
            require(device.takeProfile().isEmpty(), "takeProfile did not clear");
            StringBuilder s = new StringBuilder();
            for (ProfileRecord r : records) {
                s.append(String.format("%s %s %.1f us%s; ", r.kind(), r.label(), r.deviceNanos() / 1e3,
                        r.bytes() > 0 ? String.format(" (%.1f GB/s)", r.bytes() / (double) r.deviceNanos()) : ""));
            }
            s.append(String.format("saxpy moves %.1f GB/s", 12.0 * n / records.get(1).deviceNanos()));
            return s.toString();
        }
    }

    private static String graphKernelsOnly(CudaDevice device, int n) {
        float alpha = 0.75f;
        int groups = 256;
        int replays = 3;
        try (DeviceKernel saxpy = device.build(CudaSampleKernels.SAXPY); DeviceKernel sums = device.build(CudaSampleKernels.BLOCK_SUMS);
             FloatArray x = random(n, 5); FloatArray y = random(n, 6); FloatArray direct = new FloatArray(n);
             FloatArray replayed = new FloatArray(n); FloatArray pDirect = new FloatArray(groups); FloatArray pReplayed = new FloatArray(groups);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y); DeviceBuffer dp = device.allocate(pDirect)) {
            Object[] saxpyArgs = {alpha, dx, dy, n};
            Object[] sumArgs = {null, dy, dp, n};
            WorkerGrid sumGrid = WorkerGrid.of(groups * 256, 256);
            device.copyToDevice(dx, x);
            device.copyToDevice(dy, y);
            for (int r = 0; r < replays; r++) {
                device.launch(saxpy, saxpyArgs, null, WorkerGrid.of(n));
                device.launch(saxpy, saxpyArgs, null, WorkerGrid.of(n));
                device.launch(sums, sumArgs, null, sumGrid);
            }
            device.copyToHost(direct, dy);
            device.copyToHost(pDirect, dp);
            device.copyToDevice(dy, y);
            device.synchronize();

            device.beginCapture();
            device.launch(saxpy, saxpyArgs, null, WorkerGrid.of(n));
            device.launch(saxpy, saxpyArgs, null, WorkerGrid.of(n));
            device.launch(sums, sumArgs, null, sumGrid);
            try (CapturedWork graph = device.endCapture()) {
                for (int r = 0; r < replays; r++) {
                    graph.replay();
                }
                device.copyToHost(replayed, dy);
                device.copyToHost(pReplayed, dp);
                device.synchronize();
            }
            requireSameBits(replayed, direct, "y");
            requireSameBits(pReplayed, pDirect, "partial sums");
            for (int i = 0; i < n; i += 9973) { // and direct execution itself is right
                float want = y.get(i);
                for (int r = 0; r < 2 * replays; r++) {
                    want = alpha * x.get(i) + want;
                }
                requireClose(direct.get(i), want, 2 * replays, "y[" + i + "] after " + 2 * replays + " saxpy");
            }
            return replays + " replays of 3 launches equal direct execution bit for bit";
        }
    }

    private static String graphWithCopies(CudaDevice device, int n, boolean pinned) {
        float alpha = 1.5f;
        try (DeviceKernel saxpy = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 7);
             FloatArray y = random(n, 8); FloatArray out = new FloatArray(n);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
            if (pinned) {
                device.pin(y);
                device.pin(out);
            }
            try {
                device.copyToDevice(dx, x);
                device.synchronize();
                device.beginCapture();
                device.copyToDevice(dy, y);
                device.launch(saxpy, new Object[] {alpha, dx, dy, n}, null, WorkerGrid.of(n));
                device.copyToHost(out, dy);
                try (CudaGraph graph = (CudaGraph) device.endCapture()) {
                    for (int round = 0; round < 2; round++) {
                        out.fill(Float.NaN);
                        int shift = round;
                        for (int i = 0; i < n; i += 4099) {
                            y.set(i, i * 1e-3f + shift); // the graph must read the host array anew each replay
                        }
                        graph.replay();
                        device.synchronize();
                        for (int i = 0; i < n; i++) {
                            requireClose(out.get(i), alpha * x.get(i) + y.get(i), "round " + round + " out[" + i + "]");
                        }
                    }
                    return graph.operations() + " operations captured; 2 replays read fresh input";
                }
            } finally {
                if (pinned) {
                    device.unpin(y);
                    device.unpin(out);
                }
            }
        }
    }

    private static String overhead(CudaDevice device) {
        int n = 256;
        int launches = 20000;
        try (DeviceKernel saxpy = device.build(CudaSampleKernels.SAXPY); FloatArray x = random(n, 9);
             DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(x)) {
            Object[] args = {1.0f, dx, dy, n};
            WorkerGrid grid = WorkerGrid.of(n);
            for (int r = 0; r < 20000; r++) { // until the JIT has compiled the launch path
                device.launch(saxpy, args, null, grid);
            }
            device.synchronize();
            long t0 = System.nanoTime();
            for (int r = 0; r < launches; r++) {
                device.launch(saxpy, args, null, grid);
            }
            long enqueued = System.nanoTime() - t0;
            device.synchronize();
            long direct = System.nanoTime() - t0;
            // The same launches straight through the driver, parameters packed once: what the
            // driver costs, against which this backend's own per-launch work shows.
            long rawLaunch;
            long rawWithContext;
            CudaKernel k = (CudaKernel) saxpy;
            long stream = device.streamForDiagnostics();
            long context = device.contextForDiagnostics();
            try (org.lwjgl.system.MemoryStack stack = org.lwjgl.system.MemoryStack.stackPush()) {
                org.lwjgl.PointerBuffer params = KernelArguments.pack(k.generated(), args, device, stack);
                t0 = System.nanoTime();
                for (int r = 0; r < launches; r++) {
                    org.lwjgl.cuda.CU.cuLaunchKernel(k.function(), 1, 1, 1, 256, 1, 1, 0, stream, params, null);
                }
                rawLaunch = System.nanoTime() - t0;
                device.synchronize();
                t0 = System.nanoTime();
                for (int r = 0; r < launches; r++) {
                    org.lwjgl.cuda.CU.cuCtxSetCurrent(context);
                    org.lwjgl.cuda.CU.cuLaunchKernel(k.function(), 1, 1, 1, 256, 1, 1, 0, stream, params, null);
                }
                rawWithContext = System.nanoTime() - t0;
                device.synchronize();
            }
            device.beginCapture();
            for (int r = 0; r < 100; r++) {
                device.launch(saxpy, args, null, grid);
            }
            try (CapturedWork graph = device.endCapture()) {
                graph.replay();
                device.synchronize();
                t0 = System.nanoTime();
                for (int r = 0; r < launches / 100; r++) {
                    graph.replay();
                }
                device.synchronize();
                long replayed = System.nanoTime() - t0;
                return String.format("direct: %.2f us/launch host enqueue, %.2f us/launch end to end; raw cuLaunchKernel %.2f us,"
                                + " with cuCtxSetCurrent %.2f us; graph of 100: %.2f us/launch end to end",
                        enqueued / 1e3 / launches, direct / 1e3 / launches, rawLaunch / 1e3 / launches,
                        rawWithContext / 1e3 / launches, replayed / 1e3 / launches);
            }
        }
    }

    private static String copyBandwidth(CudaDevice device, int n) {
        try (FloatArray a = random(n, 10); DeviceBuffer d = device.allocate(a)) {
            String pageable = timedCopies(device, a, d);
            device.pin(a);
            try {
                return "pageable " + pageable + "; pinned " + timedCopies(device, a, d);
            } finally {
                device.unpin(a);
            }
        }
    }

    private static String timedCopies(CudaDevice device, FloatArray a, DeviceBuffer d) {
        device.setProfiling(true);
        try {
            for (int r = 0; r < 3; r++) {
                device.copyToDevice(d, a);
                device.copyToHost(a, d);
            }
            device.synchronize();
            List<ProfileRecord> records = device.takeProfile();
            ProfileRecord up = records.get(records.size() - 2);
            ProfileRecord down = records.get(records.size() - 1);
            return String.format("to device %.1f GB/s, to host %.1f GB/s", up.bytes() / (double) up.deviceNanos(),
                    down.bytes() / (double) down.deviceNanos());
        } finally {
            device.setProfiling(false);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    static FloatArray random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) (r.nextDouble() * 2 - 1));
        }
        return a;
    }

    /** Within 2 ulp: the device may fuse a*x+y into one rounding where Java rounds twice. */
    static void requireClose(float got, float want, String what) {
        requireClose(got, want, 1, what);
    }

    /** Within 2 ulp per step, for results of {@code steps} chained multiply-adds. */
    static void requireClose(float got, float want, int steps, String what) {
        float tolerance = steps * (2 * Math.ulp(Math.max(Math.abs(want), 1e-6f)) + 1e-7f);
        if (!(Math.abs(got - want) <= tolerance)) {
            throw new AssertionError(what + " = " + got + ", want " + want);
        }
    }

    private static void requireSameBits(FloatArray got, FloatArray want, String what) {
        for (long i = 0; i < want.getSize(); i++) {
            if (Float.floatToRawIntBits(got.get(i)) != Float.floatToRawIntBits(want.get(i))) {
                throw new AssertionError(what + "[" + i + "] replayed " + got.get(i) + ", direct " + want.get(i));
            }
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
