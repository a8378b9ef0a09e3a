package org.lte4j.bench.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The paired rounds of the CPU decode bench: which round stands for the run, and what the report line says. */
class HostRoundsTest {
    private static final long BYTES = 1_000_000_000L; // 1 GB per token: 10 ms/token is 100 GB/s

    @Test
    void theRoundWithTheMedianRatioCountsNotTheMedianTimeOrCopy() {
        // ratios (GB/s of decode over GB/s of copy): 0.50, 0.80, 0.60, 0.55, 0.90
        List<HostRounds.Round> rounds = List.of(
                new HostRounds.Round(10, 200e9),
                new HostRounds.Round(12.5, 100e9),
                new HostRounds.Round(20, 83.333e9),
                new HostRounds.Round(9, 202.02e9),
                new HostRounds.Round(16, 69.444e9));
        HostRounds.Round median = HostRounds.median(rounds, BYTES);
        assertEquals(20, median.msPerToken(), 0, "the 0.60 round: neither the median time (12.5 ms) nor the median copy");
        assertEquals(0.60, median.ratio(BYTES), 1e-4);
    }

    @Test
    void theReportGivesEachSpread() {
        List<HostRounds.Round> rounds = List.of(new HostRounds.Round(10, 200e9), new HostRounds.Round(12.5, 100e9),
                new HostRounds.Round(20, 83.333e9));
        String line = HostRounds.describe(rounds, BYTES);
        assertTrue(line.startsWith("3 rounds of copy then decode: 10.000-20.000 ms/token, copy 83.3-200.0 GB/s, of copy 0.50-0.80"), line);
        assertFalse(line.contains("only reads"), "no read-only stream was measured: " + line);
    }

    @Test
    void theReportSetsTheDecodeAgainstTheReadOnlyStreamWhenMeasured() {
        // decode 100, 80 and 50 GB/s against streams of 125, 100 and 100 GB/s
        List<HostRounds.Round> rounds = List.of(new HostRounds.Round(10, 200e9, 125e9), new HostRounds.Round(12.5, 100e9, 100e9),
                new HostRounds.Round(20, 83.333e9, 100e9));
        String line = HostRounds.describe(rounds, BYTES);
        assertTrue(line.endsWith("; a stream that only reads 100.0-125.0 GB/s, of it 0.50-0.80"), line);
    }

    @Test
    void everyRoundCopiesThenDecodes() {
        int[] passes = {0};
        List<HostRounds.Round> rounds = HostRounds.alternate(() -> ++passes[0]);
        assertEquals(HostRounds.ROUNDS, passes[0]);
        for (int r = 0; r < rounds.size(); r++) {
            assertEquals(r + 1, rounds.get(r).msPerToken(), 0, "round " + r + " keeps its own pass");
            assertTrue(rounds.get(r).copyBytesPerSecond() > 1e8, "a measured copy: " + rounds.get(r).copyBytesPerSecond());
            assertTrue(rounds.get(r).readBytesPerSecond() > 1e8, "a measured read-only stream: " + rounds.get(r).readBytesPerSecond());
        }
    }
}
