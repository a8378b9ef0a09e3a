package org.lte4j.runtime.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A backend over a native driver whose devices are found once, on first use: the devices, or
 * none and why. Subclasses say how to find them ({@link #discover}); this class keeps the answer,
 * names devices by index ({@code cuda:0}, {@code opencl:1}) and lists them for
 * {@code lte4j devices}.
 *
 * @param <D> the backend's device type
 */
public abstract class DiscoveringBackend<D extends Device> implements Backend {
    private List<D> devices;
    private String unavailable;

    /** What {@link #discover} found: the devices in index order, and why there are none (or null). */
    protected record Discovery<D>(List<D> devices, String unavailable) {
        public Discovery {
            devices = List.copyOf(devices);
        }

        /** No device, for the reason given. */
        public static <D> Discovery<D> none(String why) {
            return new Discovery<>(List.of(), why);
        }
    }

    /**
     * Loads the driver and lists its devices; called once, with this backend's lock held. Never
     * throws: a failure is a {@link Discovery#none} saying which library or call failed.
     */
    protected abstract Discovery<D> discover();

    /** The backend's name in messages: {@code CUDA}, {@code OpenCL}. */
    protected abstract String displayName();

    @Override
    public final synchronized List<D> devices() {
        discoverOnce();
        return devices;
    }

    @Override
    public final synchronized Optional<String> unavailableReason() {
        discoverOnce();
        return Optional.ofNullable(unavailable);
    }

    /** The device {@code <kind>:index}, or an error that says what there is instead. */
    public D device(int index) {
        List<D> all = devices();
        if (index < 0 || index >= all.size()) {
            throw new IllegalArgumentException("no device " + kind().specName + ":" + index + " ("
                    + (all.isEmpty() ? unavailableReason().orElse("no " + displayName() + " devices")
                    : all.size() + " " + displayName() + " device(s)") + ")");
        }
        return all.get(index);
    }

    /** One line per device ({@link Device#describe}), or one line saying why there is none. */
    public List<String> describeDevices() {
        List<String> lines = new ArrayList<>();
        for (D d : devices()) {
            lines.add(d.describe());
        }
        unavailableReason().ifPresent(r -> lines.add(kind().specName + ": unavailable - " + r));
        return lines;
    }

    /** The devices if discovery has run, else an empty list (for closing without discovering). */
    protected final synchronized List<D> devicesIfDiscovered() {
        return devices == null ? List.of() : devices;
    }

    /** Runs {@link #discover} on the first call (from any method that needs the devices). */
    protected final synchronized void discoverOnce() {
        if (devices == null) {
            Discovery<D> found = discover();
            devices = found.devices();
            unavailable = found.unavailable();
        }
    }
}
