package org.lte4j.bench.decode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;

import org.lte4j.bench.CopyBandwidth;

/**
 * Decode speed against the copy on a device that works in this machine's RAM (the JVM, CPU
 * OpenCL), in rounds: each round copies, then decodes, so the two numbers of a round meet the
 * same neighbours. On the shared 2-core development machine a copy measured once per process
 * moved between 44 and 94 GB/s from process to process and the F32 decode between 10.5 and 15.7
 * ms/token, so a ratio of one copy and one decode taken seconds apart read anywhere from 0.56 to
 * 0.91; paired in rounds, the same decode read 0.53-0.67 (docs/PERF.md). The round whose ratio is
 * the median stands for the run; the spread over rounds is reported beside it. Each round also
 * times a loop that only reads, since a decode only reads: its ratio to the copy (0.63-0.81 on
 * that machine) is about the most a decode's can be, and the decode's ratio to it says how much of
 * the gap is the decode's own.
 */
final class HostRounds {
    /** Rounds per measurement: an odd number, so the median is one round. */
    static final int ROUNDS = 7;
    /** Copies per round; the best counts, as in {@link CopyBandwidth}. */
    static final int COPIES_PER_ROUND = 3;

    private HostRounds() {
    }

    /**
     * One round: a decode pass, and the copy and the read-only stream
     * ({@link CopyBandwidth.HostCopy#readOnlyBytesPerSecond}, NaN where not measured) made just
     * before it.
     */
    record Round(double msPerToken, double copyBytesPerSecond, double readBytesPerSecond) {
        Round(double msPerToken, double copyBytesPerSecond) {
            this(msPerToken, copyBytesPerSecond, Double.NaN);
        }

        /** The decode's rate over the copy's: the ratio issue goals are set in. */
        double ratio(long bytesPerToken) {
            return bytesPerToken / (msPerToken * 1e-3) / copyBytesPerSecond;
        }

        /** The decode's rate over the read-only stream's: how near the machine's read ceiling it is. */
        double ofReadOnly(long bytesPerToken) {
            return bytesPerToken / (msPerToken * 1e-3) / readBytesPerSecond;
        }
    }

    /**
     * Rounds of a host copy, a read-only stream and then {@code decodePass} (which times its own
     * tokens, in ms per token).
     */
    static List<Round> alternate(DoubleSupplier decodePass) {
        List<Round> rounds = new ArrayList<>();
        try (CopyBandwidth.HostCopy copy = new CopyBandwidth.HostCopy()) {
            for (int r = 0; r < ROUNDS; r++) {
                double copied = copy.bytesPerSecond(COPIES_PER_ROUND);
                double read = copy.readOnlyBytesPerSecond(COPIES_PER_ROUND);
                rounds.add(new Round(decodePass.getAsDouble(), copied, read));
            }
        }
        return rounds;
    }

    /** The round whose ratio to its copy is the median of all rounds'. */
    static Round median(List<Round> rounds, long bytesPerToken) {
        List<Round> sorted = new ArrayList<>(rounds);
        sorted.sort(Comparator.comparingDouble(r -> r.ratio(bytesPerToken)));
        return sorted.get(sorted.size() / 2);
    }

    /** A report line: how the rounds spread, in ms per token, copy and ratio. */
    static String describe(List<Round> rounds, long bytesPerToken) {
        var ms = rounds.stream().mapToDouble(Round::msPerToken).summaryStatistics();
        var copy = rounds.stream().mapToDouble(Round::copyBytesPerSecond).summaryStatistics();
        var ratio = rounds.stream().mapToDouble(r -> r.ratio(bytesPerToken)).summaryStatistics();
        String line = String.format(Locale.ROOT, "%d rounds of copy then decode: %.3f-%.3f ms/token, copy %.1f-%.1f GB/s, of copy %.2f-%.2f (the median round counts)",
                rounds.size(), ms.getMin(), ms.getMax(), copy.getMin() / 1e9, copy.getMax() / 1e9, ratio.getMin(), ratio.getMax());
        if (rounds.stream().anyMatch(r -> Double.isNaN(r.readBytesPerSecond()))) {
            return line;
        }
        var read = rounds.stream().mapToDouble(Round::readBytesPerSecond).summaryStatistics();
        var ofRead = rounds.stream().mapToDouble(r -> r.ofReadOnly(bytesPerToken)).summaryStatistics();
        return line + String.format(Locale.ROOT, "; a stream that only reads %.1f-%.1f GB/s, of it %.2f-%.2f",
                read.getMin() / 1e9, read.getMax() / 1e9, ofRead.getMin(), ofRead.getMax());
    }
}
