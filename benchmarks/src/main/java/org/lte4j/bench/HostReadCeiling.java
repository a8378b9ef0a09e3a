package org.lte4j.bench;

import java.util.Locale;

/**
 * Developer tool: what a decode that only reads could reach on this machine, against the host
 * copy every CPU bandwidth ratio divides by ({@link CopyBandwidth.HostCopy}, read plus written
 * bytes). Each round copies, then reads a buffer of decode size with
 * {@link CopyBandwidth.HostCopy#readOnlyBytesPerSecond}, and prints both rates and their ratio: a
 * decode's ratio to the copy cannot exceed it by much, since the decode reads as much and also
 * computes. (The CPU decode bench measures the same stream in each of its rounds.)
 * Usage: HostReadCeiling [MiB to read, default 440 (llama-110m F32)] [rounds, default 7].
 */
public final class HostReadCeiling {
    private HostReadCeiling() {
    }

    public static void main(String[] args) {
        long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 440) << 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        try (CopyBandwidth.HostCopy copy = new CopyBandwidth.HostCopy(bytes)) {
            for (int round = 0; round < rounds; round++) {
                double copied = copy.bytesPerSecond(3);
                double read = copy.readOnlyBytesPerSecond(3);
                System.out.printf(Locale.ROOT, "copy %.1f GB/s (read + written), read-only stream %.1f GB/s: %.2f of the copy%n",
                        copied / 1e9, read / 1e9, read / copied);
            }
        }
    }
}
