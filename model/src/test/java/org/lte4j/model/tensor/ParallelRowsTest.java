package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * {@link ParallelRows}: every result lands in its place, whatever the callers, the chunking and
 * the helpers' timing; a chunk may run twice (the caller takes over a slow helper's chunk), so
 * the tests check results and that every row ran at least once.
 */
class ParallelRowsTest {
    /** A row's result, different for every (plane, row) and not a plain index. */
    private static float value(int plane, int row) {
        return plane * 1000.5f + row * 3.25f + 1;
    }

    private static ParallelRows.RowRange body(int rows, int planes, AtomicIntegerArray runs) {
        return (from, to, dst, dstOffset) -> {
            assertTrue(from < to && to <= rows, "chunk [" + from + ", " + to + ")");
            for (int r = from; r < to; r++) {
                runs.incrementAndGet(r);
                for (int t = 0; t < planes; t++) {
                    dst[dstOffset + t * rows + r] = value(t, r);
                }
            }
        };
    }

    private static void check(float[] out, int offset, int rows, int planes, AtomicIntegerArray runs, String where) {
        for (int r = 0; r < rows; r++) {
            assertTrue(runs.get(r) >= 1, where + ": row " + r + " never ran");
            for (int t = 0; t < planes; t++) {
                assertEquals(value(t, r), out[offset + t * rows + r], where + ": plane " + t + " row " + r);
            }
        }
        for (int i = 0; i < offset; i++) {
            assertEquals(-1f, out[i], where + ": written before the offset at " + i);
        }
        for (int i = offset + planes * rows; i < out.length; i++) {
            assertEquals(-1f, out[i], where + ": written past the results at " + i);
        }
    }

    @Test
    void everyResultLandsInPlaceForManyJobsInARow() {
        // many short jobs back to back: a helper that wakes late must not disturb a later job
        for (int job = 0; job < 3000; job++) {
            int rows = 1 + job % 97, chunk = 1 + job % 7, planes = 1 + job % 3, offset = job % 5;
            float[] out = new float[offset + planes * rows + 3];
            java.util.Arrays.fill(out, -1f);
            AtomicIntegerArray runs = new AtomicIntegerArray(rows);
            ParallelRows.forEach(rows, chunk, planes, out, offset, body(rows, planes, runs));
            check(out, offset, rows, planes, runs, "job " + job);
        }
    }

    @Test
    void aHeldHelperChunkIsTakenOverByTheCaller() throws InterruptedException {
        // a helper held inside its chunk until the product has returned (as when the operating
        // system deschedules it): the caller must compute that chunk itself rather than wait for
        // it; if it waited, the helper's wait would time out
        assumeTrue(ParallelRows.helpers() > 0, "no helper threads on one core");
        int rows = 8;
        float[] out = new float[rows];
        AtomicIntegerArray runs = new AtomicIntegerArray(rows);
        Thread caller = Thread.currentThread();
        CountDownLatch helperIn = new CountDownLatch(1);
        CountDownLatch returned = new CountDownLatch(1);
        CountDownLatch helperOut = new CountDownLatch(1);
        AtomicBoolean helperTimedOut = new AtomicBoolean();
        ParallelRows.forEach(rows, 1, 1, out, 0, (from, to, dst, dstOffset) -> {
            try {
                if (Thread.currentThread() == caller) {
                    assertTrue(helperIn.await(10, TimeUnit.SECONDS), "no helper joined");
                } else if (helperIn.getCount() > 0) {
                    helperIn.countDown();
                    helperTimedOut.set(!returned.await(10, TimeUnit.SECONDS));
                    helperOut.countDown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            body(rows, 1, runs).run(from, to, dst, dstOffset);
        });
        returned.countDown();
        check(out, 0, rows, 1, runs, "held helper");
        assertTrue(helperOut.await(20, TimeUnit.SECONDS));
        assertFalse(helperTimedOut.get(), "the caller waited for a held helper");
    }

    @Test
    void concurrentAndNestedCallersStillFillEveryResult() throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                try {
                    for (int job = 0; job < 200; job++) {
                        float[] outer = new float[64];
                        AtomicIntegerArray outerRuns = new AtomicIntegerArray(64);
                        ParallelRows.RowRange plain = body(64, 1, outerRuns);
                        ParallelRows.forEach(64, 8, 1, outer, 0, (from, to, dst, dstOffset) -> {
                            float[] inner = new float[2 * 8];
                            AtomicIntegerArray innerRuns = new AtomicIntegerArray(8);
                            ParallelRows.forEach(8, 2, 2, inner, 0, body(8, 2, innerRuns));
                            check(inner, 0, 8, 2, innerRuns, "inner");
                            plain.run(from, to, dst, dstOffset);
                        });
                        check(outer, 0, 64, 1, outerRuns, "outer");
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            callers.add(t);
            t.start();
        }
        for (Thread t : callers) {
            t.join();
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void aFailingChunkIsRethrownAndTheHelpersStayUsable() {
        for (int failing = 0; failing < 100; failing += 10) {
            int at = failing;
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    ParallelRows.forEach(100, 10, 1, new float[100], 0, (from, to, dst, dstOffset) -> {
                        if (from == at) {
                            throw new IllegalStateException("chunk at " + at);
                        }
                    }));
            assertEquals("chunk at " + at, e.getMessage());
        }
        float[] out = new float[100];
        AtomicIntegerArray runs = new AtomicIntegerArray(100);
        ParallelRows.forEach(100, 10, 1, out, 0, body(100, 1, runs));
        check(out, 0, 100, 1, runs, "next job");
    }

    @Test
    void badChunkIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> ParallelRows.forEach(10, 0, 1, new float[10], 0, (from, to, dst, dstOffset) -> { }));
    }
}
