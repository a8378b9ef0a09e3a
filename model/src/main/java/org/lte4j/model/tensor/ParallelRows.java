package org.lte4j.model.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Computes per-row results on the calling thread and persistent helper threads (one fewer than
 * the cores), which claim chunks of rows from a shared counter. Built for batch-1 decode, where
 * one token is about a hundred matrix-vector products of tens to hundreds of microseconds: a
 * parallel stream per product measured slower than one thread on the 2-core development machine
 * (13 against 8.6 ms of products for a 110M-parameter Q8_0 token), because waking and joining
 * fork-join tasks costs tens of microseconds a product. Here a helper spins briefly after each
 * job, so the next product reaches it in well under a microsecond, and parks when decode pauses.
 *
 * <p>A helper writes its rows' results to a buffer of its own; the caller copies them out once a
 * chunk is done. So when the operating system deschedules a helper in the middle of a chunk (a
 * shared machine: it then stays off for milliseconds), the caller does not wait for it: after
 * {@link #STEAL_AFTER_NANOS} it computes that chunk itself into the destination, and the
 * helper's late results land only in its own buffer. A descheduled helper thus costs a product
 * at most that wait and one chunk. (Whether splitting pays at all under load is
 * {@link SplitChooser}'s call.)
 *
 * <p>One caller at a time uses the helpers; a concurrent or nested caller computes its rows on
 * its own thread. Every row's result comes from the same per-row code wherever it runs. Besides
 * the tensors' products, the JVM sparse FFN uses it for its expert groups, a "row" being one
 * output of a group's partial vector, so that decode keeps one set of spinning threads.
 */
public final class ParallelRows {
    /**
     * Computes rows {@code [from, to)}: the result of row {@code r} for plane {@code t} (e.g. the
     * input vector of a batch) goes to {@code dst[dstOffset + t * rows + r]}, where {@code rows}
     * is the job's row count; nothing else of {@code dst} may be written.
     */
    @FunctionalInterface
    public interface RowRange {
        void run(int from, int to, float[] dst, int dstOffset);
    }

    /**
     * How long an idle helper spins for the next job before parking. Decode's gaps between
     * products are mostly shorter; spinning longer only burns a core that other processes could
     * use: 30, 100 and 300 us measured 0.37-0.46, 0.32-0.39 and
     * 0.31-0.36 of copy for a Q8_0 token on this host while another build kept both cores busy.
     */
    private static final long SPIN_NANOS = 50_000;
    /** How long the caller waits for a helper's unfinished chunk before computing it itself. */
    static final long STEAL_AFTER_NANOS = 30_000;
    private static final int HELPERS = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final Helper[] POOL = new Helper[HELPERS];
    /** The job helpers should join; null between jobs, so a finished job's arrays are not kept. */
    private static volatile Job current;
    private static long jobs;

    private ParallelRows() {
    }

    /** Helper threads beside the caller: one fewer than the cores. */
    static int helpers() {
        return HELPERS;
    }

    /**
     * Fills {@code out[outOffset + t * rows + r]} for every plane {@code t < planes} and row
     * {@code r < rows} by calling {@code body} on chunks of {@code chunk} rows, and returns when
     * every result is in {@code out}. An exception from a chunk is rethrown here. Returns whether
     * the helpers took part (false when the job is one chunk or another caller has them).
     */
    public static boolean forEach(int rows, int chunk, int planes, float[] out, int outOffset, RowRange body) {
        if (chunk < 1 || planes < 1) {
            throw new IllegalArgumentException(planes + " planes in chunks of " + chunk + " rows");
        }
        int chunks = (rows + chunk - 1) / chunk;
        if (chunks <= 1 || HELPERS == 0 || !BUSY.compareAndSet(false, true)) {
            body.run(0, rows, out, outOffset);
            return false;
        }
        try {
            Job job = new Job(++jobs, rows, chunk, chunks, planes, body);
            current = job;
            wakeHelpers();
            job.runAsCaller(out, outOffset);
            return true;
        } finally {
            current = null;
            BUSY.set(false);
        }
    }

    /** Wakes parked helpers so that they spin for the next job (the job itself wakes them too). */
    static void wakeHelpers() {
        synchronized (POOL) {
            for (int i = 0; i < HELPERS; i++) {
                if (POOL[i] == null) {
                    POOL[i] = new Helper(i);
                    POOL[i].start();
                }
            }
        }
        for (Helper h : POOL) {
            if (h.parked) {
                LockSupport.unpark(h);
            }
        }
    }

    /** One product: immutable once published, with its own counters, so a late helper finds no work. */
    private static final class Job {
        final long id;
        final int rows;
        final int chunk;
        final int chunks;
        final int planes;
        final RowRange body;
        final AtomicInteger next = new AtomicInteger();
        /** 1 once a helper has its results for the chunk in its buffer. */
        final AtomicIntegerArray done;
        /** The helper that claimed each chunk; written before its done flag. */
        final Helper[] owner;
        volatile Throwable failure;

        Job(long id, int rows, int chunk, int chunks, int planes, RowRange body) {
            this.id = id;
            this.rows = rows;
            this.chunk = chunk;
            this.chunks = chunks;
            this.planes = planes;
            this.body = body;
            this.done = new AtomicIntegerArray(chunks);
            this.owner = new Helper[chunks];
        }

        void runAsHelper(Helper self) {
            float[] buffer = self.buffer(planes * rows);
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                owner[c] = self;
                int from = c * chunk;
                try {
                    body.run(from, Math.min(rows, from + chunk), buffer, 0);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                }
                done.set(c, 1);
            }
        }

        void runAsCaller(float[] out, int outOffset) {
            boolean[] mine = new boolean[chunks];
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                mine[c] = true;
                int from = c * chunk;
                body.run(from, Math.min(rows, from + chunk), out, outOffset);
            }
            long stealAt = System.nanoTime() + STEAL_AFTER_NANOS;
            for (int c = 0; c < chunks; c++) {
                if (mine[c]) {
                    continue;
                }
                int from = c * chunk, to = Math.min(rows, from + chunk);
                while (done.get(c) == 0 && System.nanoTime() < stealAt) {
                    Thread.onSpinWait();
                }
                if (done.get(c) == 0) {
                    // its helper is descheduled or slow: the result is the same from here
                    body.run(from, to, out, outOffset);
                    continue;
                }
                rethrow();
                float[] buffer = owner[c].buffer;
                for (int t = 0; t < planes; t++) {
                    System.arraycopy(buffer, t * rows + from, out, outOffset + t * rows + from, to - from);
                }
            }
        }

        private void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException("a chunk of rows failed", t);
            }
        }
    }

    private static final class Helper extends Thread {
        /** Set before parking and re-checked against {@link #current}, so no wake-up is lost. */
        volatile boolean parked;
        /** This helper's results; read by the caller only for chunks this helper marked done. */
        float[] buffer = new float[0];

        Helper(int index) {
            super("lte4j-rows-" + index);
            setDaemon(true);
        }

        float[] buffer(int length) {
            if (buffer.length < length) {
                buffer = new float[length];
            }
            return buffer;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                Job job = awaitJob(seen);
                seen = job.id;
                job.runAsHelper(this);
            }
        }

        /** The next job after {@code seen} (ids only grow); a job that finished meanwhile is harmless. */
        private Job awaitJob(long seen) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Job job = current;
                if (job != null && job.id != seen) {
                    return job;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                job = current;
                if (job == null || job.id == seen) {
                    LockSupport.park(this);
                }
                parked = false;
                spinUntil = System.nanoTime() + SPIN_NANOS;
            }
        }
    }
}
