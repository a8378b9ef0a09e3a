package org.lte4j.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.lte4j.runtime.backend.Backend;
import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.backend.cuda.CudaBackend;
import org.lte4j.runtime.backend.jvm.JvmBackend;
import org.lte4j.runtime.backend.opencl.OpenClBackend;
import org.lte4j.runtime.backend.opencl.OpenClDevice;
import org.lte4j.runtime.backend.opencl.OpenClDeviceInfo;

/**
 * Finds backends and devices and resolves a device spec: {@code jvm}, {@code opencl},
 * {@code opencl:N}, {@code cuda}, {@code cuda:N} or {@code auto} (the fastest device present:
 * a CUDA GPU, then an OpenCL GPU, then any OpenCL device, then the JVM).
 */
public final class Devices {
    private static volatile List<Backend> backends;

    private Devices() {
    }

    /** Every backend lte4j knows, each either with devices or with the reason it has none. */
    public static List<Backend> backends() {
        List<Backend> b = backends;
        if (b == null) {
            synchronized (Devices.class) {
                if (backends == null) {
                    List<Backend> list = new ArrayList<>();
                    list.add(new JvmBackend());
                    list.add(guarded(BackendKind.OPENCL, OpenClBackend::new));
                    list.add(guarded(BackendKind.CUDA, CudaBackend::new));
                    backends = List.copyOf(list);
                }
                b = backends;
            }
        }
        return b;
    }

    public static Backend backend(BackendKind kind) {
        return backends().stream().filter(b -> b.kind() == kind).findFirst().orElseThrow();
    }

    /** Resolves a spec; throws IllegalArgumentException naming what is missing and why. */
    public static Device select(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase();
        if (s.equals("auto")) {
            return auto();
        }
        String kindName = s;
        int index = 0;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            kindName = s.substring(0, colon);
            try {
                index = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device spec '" + spec + "': expected e.g. opencl:0");
            }
        }
        BackendKind kind = null;
        for (BackendKind k : BackendKind.values()) {
            if (k.specName.equals(kindName)) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("unknown device '" + spec + "': use jvm, opencl, opencl:N, cuda, cuda:N or auto");
        }
        Backend b = backend(kind);
        List<? extends Device> ds = b.devices();
        if (ds.isEmpty()) {
            throw new IllegalArgumentException("no " + kind.specName + " device: " + b.unavailableReason().orElse("none found"));
        }
        if (index < 0 || index >= ds.size()) {
            throw new IllegalArgumentException("no device " + spec + ": " + kind.specName + " has " + ds.size() + " device(s), 0.." + (ds.size() - 1));
        }
        return ds.get(index);
    }

    private static Device auto() {
        List<? extends Device> cuda = backend(BackendKind.CUDA).devices();
        if (!cuda.isEmpty()) {
            return cuda.get(0);
        }
        List<? extends Device> cl = backend(BackendKind.OPENCL).devices();
        for (Device d : cl) {
            if (d instanceof OpenClDevice o && o.info().type() == OpenClDeviceInfo.Type.GPU) {
                return d;
            }
        }
        if (!cl.isEmpty()) {
            return cl.get(0);
        }
        return backend(BackendKind.JVM).devices().get(0);
    }

    /** Backends explain a missing library themselves; this catches what escapes them (a broken native). */
    private static Backend guarded(BackendKind kind, Supplier<Backend> create) {
        try {
            return create.get();
        } catch (LinkageError | RuntimeException e) {
            return unavailable(kind, kind.specName + " backend could not start: " + e);
        }
    }

    private static Backend unavailable(BackendKind kind, String why) {
        return new Backend() {
            @Override
            public BackendKind kind() {
                return kind;
            }

            @Override
            public List<? extends Device> devices() {
                return List.of();
            }

            @Override
            public Optional<String> unavailableReason() {
                return Optional.of(why);
            }
        };
    }

}
