package org.lte4j.runtime.backend;

/** One timed device operation: a kernel launch (label = kernel entry name) or a transfer. */
public record ProfileRecord(Kind kind, String label, long deviceNanos, long bytes) {
    public enum Kind { KERNEL, COPY_TO_DEVICE, COPY_TO_HOST }
}
