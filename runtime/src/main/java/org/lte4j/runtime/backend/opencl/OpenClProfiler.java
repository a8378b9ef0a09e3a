package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.clReleaseEvent;
import static org.lwjgl.opencl.CL10.nclGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.nclWaitForEvents;

import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.backend.ProfileRecord;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/** The events of profiled commands, turned into ProfileRecords (END - START) on demand. */
final class OpenClProfiler {
    private record Pending(long event, ProfileRecord.Kind kind, String label, long bytes) {
    }

    private final List<Pending> pending = new ArrayList<>();

    void add(long event, ProfileRecord.Kind kind, String label, long bytes) {
        pending.add(new Pending(event, kind, label, bytes));
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** Waits for the recorded commands, reads their device times, and releases their events. */
    List<ProfileRecord> take() {
        List<ProfileRecord> out = new ArrayList<>(pending.size());
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long t = stack.nmalloc(8, 8);
            for (Pending p : pending) {
                long start;
                long end;
                try {
                    long ev = stack.nmalloc(8, 8);
                    MemoryUtil.memPutAddress(ev, p.event);
                    OpenClStatus.check(nclWaitForEvents(1, ev), "clWaitForEvents", "waiting for " + what(p));
                    OpenClStatus.check(nclGetEventProfilingInfo(p.event, CL_PROFILING_COMMAND_START, 8, t, 0),
                            "clGetEventProfilingInfo", "reading the start time of " + what(p));
                    start = MemoryUtil.memGetLong(t);
                    OpenClStatus.check(nclGetEventProfilingInfo(p.event, CL_PROFILING_COMMAND_END, 8, t, 0),
                            "clGetEventProfilingInfo", "reading the end time of " + what(p));
                    end = MemoryUtil.memGetLong(t);
                } catch (RuntimeException e) {
                    releaseAll();
                    throw e;
                }
                out.add(new ProfileRecord(p.kind, p.label, Math.max(0, end - start), p.bytes));
            }
        }
        releaseAll();
        return out;
    }

    /** Drops every recorded event without reading it. */
    void releaseAll() {
        for (Pending p : pending) {
            clReleaseEvent(p.event);
        }
        pending.clear();
    }

    private static String what(Pending p) {
        return switch (p.kind) {
            case KERNEL -> "kernel " + p.label;
            case COPY_TO_DEVICE -> "the copy to the device of " + p.label;
            case COPY_TO_HOST -> "the copy to the host of " + p.label;
        };
    }
}
