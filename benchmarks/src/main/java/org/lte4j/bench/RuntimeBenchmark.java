package org.lte4j.bench;

import java.util.function.Consumer;

import org.lte4j.runtime.backend.Device;

/** The runtime's headline numbers on one device, as ratios measured in one run. */
public final class RuntimeBenchmark {
    private RuntimeBenchmark() {
    }

    public static void run(Device device, Consumer<String> out) {
        long bytes = device.kind() == org.lte4j.runtime.backend.BackendKind.CUDA ? 256L << 20 : 64L << 20;
        double copy = CopyBandwidth.bytesPerSecond(device, bytes, 10);
        out.accept(String.format("device copy: %.1f GB/s (read+write, %d MiB)", copy / 1e9, bytes >> 20));
    }
}
