package org.lte4j.runtime.graph;

import java.util.List;

import org.lte4j.runtime.backend.ProfileRecord;

/**
 * Timing of one {@link ExecutionPlan#execute()}: wall time on the host (enqueue plus wait),
 * and, when profiling is on, device time in kernels and in transfers with each record.
 */
public record ExecutionProfile(long hostNanos, long kernelNanos, long transferNanos, List<ProfileRecord> records) {

    static ExecutionProfile of(long hostNanos, List<ProfileRecord> records) {
        long kernel = 0;
        long transfer = 0;
        for (ProfileRecord r : records) {
            if (r.kind() == ProfileRecord.Kind.KERNEL) {
                kernel += r.deviceNanos();
            } else {
                transfer += r.deviceNanos();
            }
        }
        return new ExecutionProfile(hostNanos, kernel, transfer, List.copyOf(records));
    }

    @Override
    public String toString() {
        return String.format("host %.3f ms, kernels %.3f ms, transfers %.3f ms (%d records)",
                hostNanos / 1e6, kernelNanos / 1e6, transferNanos / 1e6, records.size());
    }
}
