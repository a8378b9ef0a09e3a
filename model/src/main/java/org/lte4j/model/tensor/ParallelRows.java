package org.lte4j.model.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a loop over rows on the calling thread and persistent helper threads (one fewer than the
 * cores), which take chunks of rows from a shared counter. Built for batch-1 decode, where one
 * token is about a hundred matrix-vector products of a few hundred microseconds each: a parallel
 * stream per product measured slower than one thread on the 2-core development machine (13.9
 * against 8.9 ms for a 110M-parameter Q8_0 token), because waking and joining fork-join tasks
 * costs tens of microseconds a product. Here a helper spins briefly after each job, so the next
 * product reaches it in well under a microsecond, and parks when decode pauses.
 *
 * <p>Chunks are claimed dynamically, so a helper that the operating system deschedules (a
 * shared machine) delays the product by at most one chunk. One caller at a time uses the
 * helpers; a concurrent or nested caller runs its rows on its own thread, with the same
 * arithmetic per row, so results never depend on the split.
 */
final class ParallelRows {
    /** The body of the loop: rows {@code [from, to)}. */
    @FunctionalInterface
    interface RowRange {
        void run(int from, int to);
    }

    /** How long an idle helper spins for the next job before parking (decode gaps are shorter). */
    private static final long SPIN_NANOS = 200_000;
    private static final int HELPERS = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final Helper[] POOL = new Helper[HELPERS];
    /** The job helpers should join; null between jobs, so a finished loop's arrays are not kept. */
    private static volatile Job current;
    private static long jobs;

    private ParallelRows() {
    }

    /** Threads a loop is split over when the helpers are free: the caller and the helpers. */
    static int threads() {
        return HELPERS + 1;
    }

    /**
     * Calls {@code body} over {@code [0, rows)} in chunks of {@code chunk} rows (the last may be
     * shorter), every chunk exactly once, and returns when all have finished. An exception from a
     * chunk is rethrown here after the other chunks are done.
     */
    static void forEach(int rows, int chunk, RowRange body) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk of " + chunk + " rows");
        }
        int chunks = (rows + chunk - 1) / chunk;
        if (chunks <= 1 || HELPERS == 0 || !BUSY.compareAndSet(false, true)) {
            body.run(0, rows);
            return;
        }
        try {
            Job job = new Job(++jobs, rows, chunk, chunks, body);
            current = job;
            wakeHelpers();
            job.work();
            job.awaitDone();
            current = null;
            job.rethrow();
        } finally {
            BUSY.set(false);
        }
    }

    private static void wakeHelpers() {
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

    /** One loop: immutable once published, with its own counters, so a late helper finds no work. */
    private static final class Job {
        final long id;
        final int rows;
        final int chunk;
        final int chunks;
        final RowRange body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(long id, int rows, int chunk, int chunks, RowRange body) {
            this.id = id;
            this.rows = rows;
            this.chunk = chunk;
            this.chunks = chunks;
            this.body = body;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                int from = c * chunk;
                try {
                    body.run(from, Math.min(rows, from + chunk));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void awaitDone() {
            // the chunks still running are each a few microseconds of work
            for (int spins = 0; done.get() < chunks; spins++) {
                if (spins < 10_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
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

        Helper(int index) {
            super("lte4j-rows-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                Job job = awaitJob(seen);
                seen = job.id;
                job.work();
            }
        }

        /** The next job after {@code seen} (ids only grow); a job that finished meanwhile is harmless. */
        private static Job awaitJob(long seen) {
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
                Helper self = (Helper) Thread.currentThread();
                self.parked = true;
                job = current;
                if (job == null || job.id == seen) {
                    LockSupport.park(self);
                }
                self.parked = false;
                spinUntil = System.nanoTime() + SPIN_NANOS;
            }
        }
    }
}
