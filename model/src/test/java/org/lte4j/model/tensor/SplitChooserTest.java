package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** {@link SplitChooser} fed with made-up product times: it follows the faster way and notices a change. */
class SplitChooserTest {
    /** Runs {@code n} products, each way taking the given nanoseconds; returns how many were split. */
    private static int run(SplitChooser c, int n, long callerOnlyNanos, long splitNanos) {
        int split = 0;
        for (int i = 0; i < n; i++) {
            boolean s = c.next() == SplitChooser.Way.SPLIT;
            c.record(s, s ? splitNanos : callerOnlyNanos);
            split += s ? 1 : 0;
        }
        return split;
    }

    @Test
    void triesBothWaysFirstThenKeepsToTheFasterOneAndStillExplores() {
        SplitChooser c = new SplitChooser();
        int split = run(c, 2 * SplitChooser.WINDOW, 100, 60);
        assertEquals(SplitChooser.WINDOW, split, "alternates until both ways have a window of times");
        split = run(c, 32 * SplitChooser.EXPLORE_EVERY, 100, 60);
        assertEquals(32 * (SplitChooser.EXPLORE_EVERY - 1), split, "splits except one product in " + SplitChooser.EXPLORE_EVERY);
    }

    @Test
    void switchesWhenTheChosenWayGetsSlower() {
        SplitChooser c = new SplitChooser();
        run(c, 200, 100, 60);
        // the second core is taken by another process: splitting now costs more than one thread
        int split = run(c, 200, 100, 180);
        int lastSplit = run(c, 10 * SplitChooser.EXPLORE_EVERY, 100, 180);
        assertTrue(split < 200, "kept splitting");
        assertEquals(10, lastSplit, "only the exploring products are split once it switched");
        // and back once the core is free again, within a few explorations
        run(c, SplitChooser.WINDOW * SplitChooser.EXPLORE_EVERY, 100, 60);
        assertEquals(32 * (SplitChooser.EXPLORE_EVERY - 1), run(c, 32 * SplitChooser.EXPLORE_EVERY, 100, 60));
    }

    @Test
    void oneSlowOutlierDoesNotFlipTheChoice() {
        SplitChooser c = new SplitChooser();
        run(c, 100, 100, 60);
        assertEquals(SplitChooser.Way.SPLIT, c.next());
        c.record(true, 10_000_000); // a descheduled product
        int n = SplitChooser.EXPLORE_EVERY - 2;
        assertTrue(run(c, n, 100, 60) >= n - 1, "still splitting after one outlier (but for one exploration)");
    }

    @Test
    void theProductBeforeASplitOneWakesTheHelpers() {
        SplitChooser c = new SplitChooser();
        run(c, 200, 60, 100); // one thread is faster: splits only to explore
        SplitChooser.Way before = c.next();
        c.record(before == SplitChooser.Way.SPLIT, 60);
        int explored = 0;
        for (int i = 0; i < 3 * SplitChooser.EXPLORE_EVERY; i++) {
            SplitChooser.Way way = c.next();
            boolean split = way == SplitChooser.Way.SPLIT;
            c.record(split, split ? 100 : 60);
            assertEquals(split, before == SplitChooser.Way.CALLER_ONLY_WAKING_HELPERS,
                    "product " + i + " is " + way + " after " + before);
            explored += split ? 1 : 0;
            before = way;
        }
        assertEquals(3, explored);
        // and while alternating at first
        SplitChooser fresh = new SplitChooser();
        assertEquals(SplitChooser.Way.CALLER_ONLY_WAKING_HELPERS, fresh.next());
        fresh.record(false, 60);
        assertEquals(SplitChooser.Way.SPLIT, fresh.next());
    }

    @Test
    void productsAreGroupedByTypeAndSize() {
        assertSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.Q8_0, 700 * 768));
        assertNotSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.F32, 768 * 768));
        assertNotSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.Q8_0, 32000 * 768));
    }
}
