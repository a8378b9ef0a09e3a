package org.lte4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Developer tool: what a decode that only reads could reach on this machine, against the host
 * copy every CPU bandwidth ratio divides by ({@link CopyBandwidth.HostCopy}, read plus written
 * bytes). Each round copies, then sums a buffer of decode size on every core, four streams per
 * core (a quarter of its slice each, one vector accumulator per stream, no other arithmetic),
 * and prints both rates and their ratio: a decode's ratio to the copy cannot exceed it by much,
 * since the decode reads as much and also computes.
 * Usage: HostReadCeiling [MiB to read, default 440 (llama-110m F32)] [rounds, default 7].
 */
public final class HostReadCeiling {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private HostReadCeiling() {
    }

    public static void main(String[] args) {
        long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 440) << 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int threads = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofShared(); CopyBandwidth.HostCopy copy = new CopyBandwidth.HostCopy()) {
            MemorySegment data = arena.allocate(bytes, 4096);
            data.fill((byte) 1);
            for (int round = 0; round < rounds; round++) {
                double copied = copy.bytesPerSecond(3);
                double read = 0;
                for (int r = 0; r < 3; r++) {
                    long slice = bytes / threads;
                    long start = System.nanoTime();
                    double sum = IntStream.range(0, threads).parallel().mapToDouble(t -> sumFourStreams(data, t * slice, slice)).sum();
                    read = Math.max(read, bytes / ((System.nanoTime() - start) * 1e-9));
                    if (Double.isNaN(sum)) {
                        throw new AssertionError(); // keeps the sum alive
                    }
                }
                System.out.printf(Locale.ROOT, "copy %.1f GB/s (read + written), read-only stream %.1f GB/s: %.2f of the copy%n",
                        copied / 1e9, read / 1e9, read / copied);
            }
        }
    }

    /** The floats of {@code [offset, offset + length)}, summed as four interleaved streams over its quarters. */
    private static double sumFourStreams(MemorySegment m, long offset, long length) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        long step = F.vectorByteSize();
        long quarter = length / 4 / step * step;
        for (long o = offset; o < offset + quarter; o += step) {
            a0 = FloatVector.fromMemorySegment(F, m, o, ByteOrder.nativeOrder()).add(a0);
            a1 = FloatVector.fromMemorySegment(F, m, o + quarter, ByteOrder.nativeOrder()).add(a1);
            a2 = FloatVector.fromMemorySegment(F, m, o + 2 * quarter, ByteOrder.nativeOrder()).add(a2);
            a3 = FloatVector.fromMemorySegment(F, m, o + 3 * quarter, ByteOrder.nativeOrder()).add(a3);
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
