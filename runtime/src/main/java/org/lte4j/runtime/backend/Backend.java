package org.lte4j.runtime.backend;

import java.util.List;
import java.util.Optional;

/**
 * One kind of device provider. Constructing a backend never throws: when its native library is
 * missing it reports no devices and says, in {@link #unavailableReason()}, which library it
 * looked for and where.
 */
public interface Backend {
    BackendKind kind();

    /** The devices found; empty when the backend is unavailable. Opened lazily, cached. */
    List<? extends Device> devices();

    /** Why there are no devices (library not found, no platform, driver error), if so. */
    Optional<String> unavailableReason();
}
