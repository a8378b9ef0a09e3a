package org.lte4j.model.tensor;

import java.util.Arrays;

/**
 * Decides, for one kind of matrix-vector product, whether splitting its rows over
 * {@link ParallelRows} beats computing them on the calling thread, from the wall time of recent
 * products done each way. Whether a second core pays depends on the machine and its load, not
 * only on the product: on the 2-core development machine one thread reads F32 weights at 25-34
 * GB/s and two threads do not read faster (a 110M F32 token: 13 ms on one thread, 16-18 ms on
 * two), while Q8_0 is bound by the dequantising arithmetic and runs 1.5-1.7x faster on two
 * threads when the second core is free and slower than one thread when other processes hold it.
 *
 * <p>Each way keeps its last {@link #WINDOW} times and is judged by their median, which shrugs
 * off a single descheduled product yet follows a lasting change of load. The way that looks
 * slower is still tried once every {@link #EXPLORE_EVERY} products, so a change back is seen.
 * Results never depend on the choice: every row is the same dot product either way.
 */
final class SplitChooser {
    static final int WINDOW = 5;
    static final int EXPLORE_EVERY = 32;
    /** Products are grouped by storage type and the base-2 logarithm of their multiply-adds. */
    private static final SplitChooser[][] BY_KIND = new SplitChooser[GgmlType.values().length][64];

    private final long[][] recent = {new long[WINDOW], new long[WINDOW]};
    /** Times recorded each way, at most {@link #WINDOW}, and where the next one goes. */
    private final int[] samples = new int[2];
    private final int[] nextSlot = new int[2];
    private final double[] median = new double[2];
    private long products;

    /** The chooser for products of {@code macs} multiply-adds over weights of {@code type}. */
    static SplitChooser forProduct(GgmlType type, long macs) {
        int bucket = 63 - Long.numberOfLeadingZeros(Math.max(1, macs));
        synchronized (BY_KIND) {
            SplitChooser c = BY_KIND[type.ordinal()][bucket];
            if (c == null) {
                c = new SplitChooser();
                BY_KIND[type.ordinal()][bucket] = c;
            }
            return c;
        }
    }

    /** How a product runs. */
    enum Way {
        CALLER_ONLY,
        /**
         * On the caller alone, and the next product of this kind will be split: the helpers
         * should be woken now, so that the split one is timed with running helpers rather than
         * with their wake-up from parking (which would make splitting look slower than it is and
         * keep a product on one thread once it had been).
         */
        CALLER_ONLY_WAKING_HELPERS,
        SPLIT
    }

    /** How the next product should run; then {@link #record} its time. */
    synchronized Way next() {
        products++;
        if (splits(products, samples[0], samples[1])) {
            return Way.SPLIT;
        }
        // the next one, once this caller-only product is recorded
        return splits(products + 1, Math.min(WINDOW, samples[0] + 1), samples[1])
                ? Way.CALLER_ONLY_WAKING_HELPERS : Way.CALLER_ONLY;
    }

    private boolean splits(long product, int callerOnlySamples, int splitSamples) {
        // until both ways have a full window, alternate (the first products also warm the JIT up)
        if (callerOnlySamples < WINDOW || splitSamples < WINDOW) {
            return splitSamples < callerOnlySamples;
        }
        boolean best = median[1] <= median[0];
        return product % EXPLORE_EVERY == 0 ? !best : best;
    }

    /** Records the wall time of a product done one way ({@code split} or on the caller alone). */
    synchronized void record(boolean split, long nanos) {
        int way = split ? 1 : 0;
        recent[way][nextSlot[way]] = nanos;
        nextSlot[way] = (nextSlot[way] + 1) % WINDOW;
        samples[way] = Math.min(WINDOW, samples[way] + 1);
        long[] sorted = Arrays.copyOf(recent[way], samples[way]);
        Arrays.sort(sorted);
        median[way] = sorted[sorted.length / 2];
    }
}
