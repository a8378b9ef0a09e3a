package org.lte4j.model.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** {@link SplitChooser} fed with made-up product times: it follows the faster way and notices a change. */
class SplitChooserTest {
    /** Runs {@code n} products, each way taking the given nanoseconds; returns how many were split. */
    private static int run(SplitChooser c, int n, long callerOnlyNanos, long splitNanos) {
        int split = 0;
        for (int i = 0; i < n; i++) {
            boolean s = c.splitNext();
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
        boolean s = c.splitNext();
        assertTrue(s);
        c.record(true, 10_000_000); // a descheduled product
        int n = SplitChooser.EXPLORE_EVERY - 2;
        assertTrue(run(c, n, 100, 60) >= n - 1, "still splitting after one outlier (but for one exploration)");
    }

    @Test
    void productsAreGroupedByTypeAndSize() {
        assertSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.Q8_0, 700 * 768));
        assertNotSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.F32, 768 * 768));
        assertNotSame(SplitChooser.forProduct(GgmlType.Q8_0, 768 * 768), SplitChooser.forProduct(GgmlType.Q8_0, 32000 * 768));
    }
}
