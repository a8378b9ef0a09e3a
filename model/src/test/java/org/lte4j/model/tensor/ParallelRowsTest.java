package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link ParallelRows}: every row exactly once, whatever the callers and the chunking. */
class ParallelRowsTest {
    private static void assertEachRowOnce(AtomicIntegerArray visits, String where) {
        for (int r = 0; r < visits.length(); r++) {
            assertEquals(1, visits.get(r), where + ": row " + r);
        }
    }

    @Test
    void everyRowRunsExactlyOnceForManyJobsInARow() {
        // many short jobs back to back: a helper that wakes late must not run a finished job again
        for (int job = 0; job < 2000; job++) {
            int rows = 1 + job % 97;
            int chunk = 1 + job % 7;
            AtomicIntegerArray visits = new AtomicIntegerArray(rows);
            ParallelRows.forEach(rows, chunk, (from, to) -> {
                assertTrue(to - from <= chunk && from < to, "chunk [" + from + ", " + to + ")");
                for (int r = from; r < to; r++) {
                    visits.incrementAndGet(r);
                }
            });
            assertEachRowOnce(visits, "job " + job);
        }
    }

    @Test
    void concurrentAndNestedCallersStillCoverEveryRow() throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                try {
                    for (int job = 0; job < 200; job++) {
                        AtomicIntegerArray outer = new AtomicIntegerArray(64);
                        AtomicIntegerArray inner = new AtomicIntegerArray(64 * 8);
                        ParallelRows.forEach(64, 8, (from, to) -> {
                            for (int r = from; r < to; r++) {
                                outer.incrementAndGet(r);
                                int base = r * 8;
                                ParallelRows.forEach(8, 2, (f, e) -> {
                                    for (int i = f; i < e; i++) {
                                        inner.incrementAndGet(base + i);
                                    }
                                });
                            }
                        });
                        assertEachRowOnce(outer, "outer");
                        assertEachRowOnce(inner, "inner");
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
    void aFailingChunkIsRethrownAfterTheOthersFinish() {
        AtomicIntegerArray visits = new AtomicIntegerArray(100);
        IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                ParallelRows.forEach(100, 10, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        visits.incrementAndGet(r);
                    }
                    if (from == 50) {
                        throw new IllegalStateException("chunk at 50");
                    }
                }));
        assertEquals("chunk at 50", e.getMessage());
        assertEachRowOnce(visits, "after failure");
        // and the helpers are free again
        AtomicIntegerArray again = new AtomicIntegerArray(100);
        ParallelRows.forEach(100, 10, (from, to) -> {
            for (int r = from; r < to; r++) {
                again.incrementAndGet(r);
            }
        });
        assertEachRowOnce(again, "next job");
    }

    @Test
    void badChunkIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ParallelRows.forEach(10, 0, (from, to) -> { }));
    }
}
