package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.CU.CU_EVENT_DEFAULT;
import static org.lwjgl.cuda.CU.cuEventCreate;
import static org.lwjgl.cuda.CU.cuEventDestroy;
import static org.lwjgl.cuda.CU.cuEventElapsedTime;
import static org.lwjgl.cuda.CU.cuEventRecord;
import static org.lwjgl.cuda.CU.cuEventSynchronize;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.backend.ProfileRecord;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * Device timings from a pair of CUDA events recorded on the stream around each operation. Events
 * are pooled, because creating one per launch would cost more than the launch. The caller makes
 * the device's context current.
 */
final class CudaEventTimer {
    private record Pending(ProfileRecord.Kind kind, String label, long bytes, long start, long end) {
    }

    private final ArrayDeque<Long> pool = new ArrayDeque<>();
    private final List<Pending> pending = new ArrayList<>();

    /** Records a start event on {@code stream} and returns it. */
    long start(long stream) {
        long event = take();
        CudaStatus.check(cuEventRecord(event, stream), "cuEventRecord", "starting a timed operation");
        return event;
    }

    /** Records the end event of the operation begun by {@code startEvent}. */
    void end(long stream, long startEvent, ProfileRecord.Kind kind, String label, long bytes) {
        long event = take();
        CudaStatus.check(cuEventRecord(event, stream), "cuEventRecord", "ending the timed operation " + label);
        pending.add(new Pending(kind, label, bytes, startEvent, event));
    }

    /** The timings of everything recorded so far, in order; waits for the last one. */
    List<ProfileRecord> take(String deviceSpec) {
        List<ProfileRecord> out = new ArrayList<>(pending.size());
        try (MemoryStack stack = MemoryStack.stackPush()) {
            FloatBuffer ms = stack.mallocFloat(1);
            for (Pending p : pending) {
                CudaStatus.check(cuEventSynchronize(p.end), "cuEventSynchronize", "waiting for " + p.label + " on " + deviceSpec);
                CudaStatus.check(cuEventElapsedTime(ms, p.start, p.end), "cuEventElapsedTime", "timing " + p.label + " on " + deviceSpec);
                out.add(new ProfileRecord(p.kind, p.label, Math.round(ms.get(0) * 1e6), p.bytes));
                pool.push(p.start);
                pool.push(p.end);
            }
        } finally {
            pending.clear();
        }
        return out;
    }

    /** Drops unread timings. */
    void discard() {
        for (Pending p : pending) {
            pool.push(p.start);
            pool.push(p.end);
        }
        pending.clear();
    }

    void close() {
        discard();
        while (!pool.isEmpty()) {
            cuEventDestroy(pool.pop());
        }
    }

    private long take() {
        if (!pool.isEmpty()) {
            return pool.pop();
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer event = stack.mallocPointer(1);
            CudaStatus.check(cuEventCreate(event, CU_EVENT_DEFAULT), "cuEventCreate", "creating a timing event");
            return event.get(0);
        }
    }
}
