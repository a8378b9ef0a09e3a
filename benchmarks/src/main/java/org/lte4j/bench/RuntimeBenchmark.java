package org.lte4j.bench;

import java.util.function.Consumer;

import org.lte4j.runtime.backend.BackendKind;
import org.lte4j.runtime.backend.Device;

/**
 * The runtime's headline numbers on one device, as ratios measured in one run: the fp16 GEMV's
 * achieved bandwidth against a device copy, and the host time per launch and per execution.
 */
public final class RuntimeBenchmark {
    private RuntimeBenchmark() {
    }

    /** Shapes of LLaMA2-7B's FFN (up: 11008 x 4096, down: 4096 x 11008); smaller off the GPU. */
    public static void run(Device device, Consumer<String> out) {
        boolean gpu = device.kind() == BackendKind.CUDA || device.describe().contains("GPU");
        int scale = gpu ? 1 : 4;
        long copyBytes = gpu ? 512L << 20 : 64L << 20;
        int runs = gpu ? 50 : 5;
        double copy = CopyBandwidth.bytesPerSecond(device, copyBytes, runs);
        out.accept(String.format("device copy                  %8.1f GB/s (%s)", copy / 1e9, CopyBandwidth.describe(device, copyBytes)));
        int[][] shapes = {{11008 / scale, 4096 / scale}, {4096 / scale, 11008 / scale}};
        for (int[] s : shapes) {
            for (GemvBandwidth.Loads loads : GemvBandwidth.Loads.values()) {
                for (int local : gpu ? new int[] {64, 256, 512} : new int[] {64}) {
                    GemvBandwidth.Result r = GemvBandwidth.fp16(device, loads, s[0], s[1], local, runs);
                    out.accept(String.format("fp16 GEMV %5d x %-5d %-20s L=%-3d %8.1f GB/s  %.3f ms  %.2f of copy",
                            r.rows(), r.cols(), loads, local, r.bytesPerSecond() / 1e9, r.nanos() / 1e6, r.bytesPerSecond() / copy));
                }
            }
        }
        if (device.kind() != BackendKind.JVM) {
            for (boolean capture : device.supportsCapture() ? new boolean[] {false, true} : new boolean[] {false}) {
                LaunchOverhead.Result l = LaunchOverhead.measure(device, 64, capture);
                out.accept(String.format("host time per launch %6.2f us, per plan execution %6.2f us%s",
                        l.nanosPerLaunch() / 1e3, l.nanosPerExecution() / 1e3, capture ? " (CUDA-graph capture)" : ""));
            }
        }
    }
}
