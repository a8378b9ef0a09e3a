package org.lte4j.runtime.backend.jvm;

import java.util.List;
import java.util.Optional;

import org.lte4j.runtime.backend.Backend;
import org.lte4j.runtime.backend.BackendKind;

/** Always present: the JVM itself. */
public final class JvmBackend implements Backend {
    private final List<JvmDevice> devices = List.of(new JvmDevice());

    @Override
    public BackendKind kind() {
        return BackendKind.JVM;
    }

    @Override
    public List<JvmDevice> devices() {
        return devices;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }
}
