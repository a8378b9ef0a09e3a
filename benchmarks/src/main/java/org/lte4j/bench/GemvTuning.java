package org.lte4j.bench;

import org.lte4j.kernels.MatVec;
import org.lte4j.kernels.QuantizedInputMatVec;
import org.lte4j.kernels.checks.QuantizedInputs;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.graph.ExecutionPlan;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;
import org.lte4j.runtime.selftest.RandomArrays;

/**
 * Developer tool: the packed-pair fp16 GEMVs (one row or four rows per work-group) over
 * work-group sizes and group counts, as ratios to the device copy, at LLaMA2-7B's FFN shapes.
 * Usage: GemvTuning [device] [adding | q8_0] (adding: the residual-adding GEMVs at the output/down
 * shapes; q8_0: the split Q8_0 four-row GEMV on a float input against a quantized one).
 */
public final class GemvTuning {
    private GemvTuning() {
    }

    public static void main(String[] args) {
        Device device = Devices.select(args.length > 0 ? args[0] : "auto");
        double copy = CopyBandwidth.bytesPerSecond(device, 512L << 20, 30);
        System.out.printf("copy %.1f GB/s on %s%n", copy / 1e9, device.name());
        if (args.length > 1 && args[1].equals("adding")) {
            addingInto(device, copy);
            return;
        }
        if (args.length > 1 && args[1].equals("q8_0")) {
            q8_0Inputs(device, copy);
            return;
        }
        rowsPerGroup(device, copy);
    }

    /**
     * The residual-adding GEMV at a decoder's output and down projection shapes (4096 rows) over
     * work-group sizes. Two variants were measured here too and left out (docs/PERF.md): two rows
     * per group (twice the groups, four words per row in flight) was slower at both shapes on the
     * H200; four words of each of the four rows in flight gained 8% at 4096 x 4096 and 2% at
     * 4096 x 11008.
     */
    private static void addingInto(Device device, double copy) {
        for (int[] s : new int[][] {{4096, 4096}, {4096, 11008}}) {
            int rows = s[0];
            int cols = s[1];
            RandomArrays random = new RandomArrays(7);
            try (HalfArray halves = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = random.floats(rows)) {
                IntArray w = IntArray.wrap(halves.segment());
                KernelContext ctx = new KernelContext();
                for (int local : new int[] {128, 256, 512}) {
                    Task t = Task.of("4rows", () -> MatVec.gemvF16PairsFourRowsAddingInto(ctx, w, x, y, rows, cols))
                            .withGrid(WorkerGrid.of((rows + 3) / 4 * local, local));
                    TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x, y).task(t);
                    try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                        double nanos = Timing.medianKernelNanos(plan, 5, 50);
                        double bw = (2.0 * rows * cols + 4.0 * (2 * rows + cols)) / (nanos * 1e-9);
                        System.out.printf("%5d x %-5d %-5s L=%-3d %7.2f us %7.1f GB/s %.2f of copy%n",
                                rows, cols, t.name(), local, nanos / 1e3, bw / 1e9, bw / copy);
                    }
                }
            }
        }
    }

    private static void rowsPerGroup(Device device, double copy) {
        for (int[] s : new int[][] {{11008, 4096}, {4096, 11008}}) {
            int rows = s[0];
            int cols = s[1];
            RandomArrays random = new RandomArrays(7);
            try (HalfArray halves = random.halves(rows * cols); FloatArray x = random.floats(cols); FloatArray y = new FloatArray(rows)) {
                IntArray w = IntArray.wrap(halves.segment());
                KernelContext ctx = new KernelContext();
                for (int local : new int[] {64, 128, 256, 512}) {
                    for (int groups : new int[] {rows, rows / 2}) {
                        Task four = Task.of("four", () -> MatVec.gemvF16Pairs(ctx, w, x, y, rows, cols));
                        Task fourRows = Task.of("4rows", () -> MatVec.gemvF16PairsFourRows(ctx, w, x, y, rows, cols));
                        for (Task t : new Task[] {four, fourRows}) {
                            int g4 = t == fourRows ? (groups + 3) / 4 : groups;
                            if (t == fourRows && groups != rows) {
                                continue; // one group per four rows; no looping variant
                            }
                            TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, w, x)
                                    .task(t.withGrid(WorkerGrid.of(g4 * local, local)));
                            try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
                                double nanos = Timing.medianKernelNanos(plan, 5, 50);
                                double bw = (2.0 * rows * cols + 4.0 * (rows + cols)) / (nanos * 1e-9);
                                System.out.printf("%5d x %-5d %-5s L=%-3d groups=%-5d %7.1f GB/s %.2f of copy%n",
                                        rows, cols, t.name(), local, groups, bw / 1e9, bw / copy);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The split Q8_0 four-row GEMV over a float input ({@link MatVec#gemvQ8_0SplitWordsFourRows})
     * against the same over an input quantized to int8 blocks ({@link QuantizedInputMatVec}),
     * at LLaMA2-7B's decode shapes, and the quantization itself.
     */
    private static void q8_0Inputs(Device device, double copy) {
        for (int[] s : new int[][] {{4096, 4096}, {11008, 4096}, {4096, 11008}, {32000, 4096}}) {
            int rows = s[0];
            int cols = s[1];
            RandomArrays random = new RandomArrays(7);
            try (IntArray quants = random.ints(rows * cols / 4, Integer.MAX_VALUE); HalfArray scales = random.halves(rows * cols / 32);
                 FloatArray x = random.floats(cols); FloatArray y = new FloatArray(rows);
                 IntArray xQuants = new IntArray(cols / 4); FloatArray xScales = new FloatArray(cols / 32)) {
                QuantizedInputs.quantizeQ8_0(x, xQuants, xScales);
                KernelContext ctx = new KernelContext();
                double bytes = 34.0 / 32 * rows * cols + 4.0 * rows;
                for (int local : new int[] {128, 256}) {
                    Task floats = Task.of("float-input", () -> MatVec.gemvQ8_0SplitWordsFourRows(ctx, quants, scales, x, y, rows, cols));
                    Task ints = Task.of("int8-input", () -> QuantizedInputMatVec.gemvQ8_0FourRows(ctx, quants, scales, xQuants, xScales, y,
                            false, rows, cols));
                    for (Task t : new Task[] {floats, ints}) {
                        TaskGraph g = new TaskGraph("gemv").transferToDevice(DataTransferMode.FIRST_EXECUTION, quants, scales, x, xQuants, xScales)
                                .task(t.withGrid(WorkerGrid.of((rows + 3) / 4 * local, local)));
                        report(g, rows + " x " + cols, t.name() + " L=" + local, bytes, device, copy);
                    }
                }
                Task quantize = Task.of("quantize", () -> QuantizedInputMatVec.quantize(ctx, x, xQuants, xScales, cols))
                        .withGrid(WorkerGrid.covering(cols / 4, 256, 65536));
                report(new TaskGraph("q").transferToDevice(DataTransferMode.FIRST_EXECUTION, x).task(quantize), cols + " inputs", "quantize",
                        4.0 * cols + 1.125 * cols, device, copy);
            }
        }
    }

    private static void report(TaskGraph g, String shape, String what, double bytes, Device device, double copy) {
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(device)) {
            double nanos = Timing.medianKernelNanos(plan, 5, 50);
            double bw = bytes / (nanos * 1e-9);
            System.out.printf("%-13s %-22s %8.2f us %7.1f GB/s %.2f of copy%n", shape, what, nanos / 1e3, bw / 1e9, bw / copy);
        }
    }
}
