package org.lte4j.model.device;

import java.util.List;

import org.lte4j.kernels.FusedMatVec;
import org.lte4j.kernels.QuantizedInputMatVec;
import org.lte4j.kernels.VectorOps;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.graph.TaskGraph;

/** The dense SwiGLU FFN: {@code out = down(silu(gate(x)) * up(x))}, as LlamaModel.ffn computes it. */
public final class DenseFeedForward implements DeviceFeedForward {
    private final List<LayerWeights> layers;
    private final DeviceWeights weights;
    private final int local;
    private final int vectorLocal;
    private final DecodeOptions.GemvSplit split;
    private final DecodeOptions.Q8_0Input q8_0Input;
    private final FloatArray gate;
    private final FloatArray up;
    /** The normed input, then the hidden vector, as int8 blocks (split Q8_0 over {@link DecodeOptions.Q8_0Input#INT8_BLOCKS}). */
    private final QuantizedVector quantized;

    /** Work-group sizes, GEMV split and Q8_0 input from the decoder's {@code options}. */
    public DenseFeedForward(LlamaModel model, DeviceWeights weights, DecodeOptions options) {
        this.layers = model.layers();
        this.weights = weights;
        this.local = options.localSize();
        this.vectorLocal = options.vectorLocalSize();
        this.split = options.gemv();
        this.q8_0Input = options.q8_0Input();
        int hidden = model.config().hiddenDim();
        this.gate = new FloatArray(hidden);
        this.up = new FloatArray(hidden);
        this.quantized = new QuantizedVector(Math.max(hidden, model.config().dim()));
    }

    @Override
    public void append(TaskGraph graph, int layer, FloatArray in, FloatArray out) {
        DeviceMatrix wDown = appendGateUpSilu(graph, layer, in, false);
        graph.task(wDown.gemv("l" + layer + ".ffn_down", gate, out, local, split));
    }

    /**
     * {@code acc += FFN(in)} with item-per-row kernels where the decode runs
     * {@link DecodeOptions.GemvSplit#ITEM_PER_ROW} (CPU OpenCL): for F32 and F16 gate, up and
     * SwiGLU in one launch ({@code FusedMatVec.gateUpSilu...RowPerItem}), for Q8_0 in three as
     * {@link #append}; then the down GEMV adding into {@code acc}. The same floats as
     * {@link #append} and an add, in two (Q8_0: four) launches instead of five. With work-group
     * GEMVs, split Q8_0 only ({@link #appendQ8_0AddingInto}); false for the other formats there
     * (their GEMVs fold the norm instead, {@link #appendNormingAndAddingInto}).
     */
    @Override
    public boolean appendAddingInto(TaskGraph graph, int layer, FloatArray in, FloatArray acc) {
        if (split != DecodeOptions.GemvSplit.ITEM_PER_ROW) {
            return appendQ8_0AddingInto(graph, layer, in, acc);
        }
        DeviceMatrix wDown = appendGateUpSilu(graph, layer, in, true);
        graph.task(wDown.gemvAddingInto("l" + layer + ".ffn_down_residual", gate, acc, local, split));
        return true;
    }

    /**
     * Work-group Q8_0 (GPUs): {@code acc += FFN(in)}, {@code in} normed already, as
     * {@link FusedMatVec#gateUpSiluQ8_0SplitWordsFourNeurons} (four neurons per group) and the
     * down GEMV adding into {@code acc}. False, appending nothing, for other formats and shapes.
     */
    private boolean appendQ8_0AddingInto(TaskGraph graph, int layer, FloatArray in, FloatArray acc) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix wGate = weights.matrix(lw.wGate());
        DeviceMatrix wUp = weights.matrix(lw.wUp());
        DeviceMatrix wDown = weights.matrix(lw.wDown());
        if (!normsApart(wGate, wUp, wDown)) {
            return false;
        }
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(wGate, wUp, wDown));
        String l = "l" + layer + ".";
        IntArray gateQuants = wGate.splitQuants();
        HalfArray gateScales = wGate.splitScales();
        IntArray upQuants = wUp.splitQuants();
        HalfArray upScales = wUp.splitScales();
        FloatArray hiddenOut = gate;
        int dim = wGate.cols();
        KernelContext ctx = new KernelContext();
        graph.task(Task.of(l + "ffn_gate_up_swiglu", () -> FusedMatVec.gateUpSiluQ8_0SplitWordsFourNeurons(ctx, gateQuants, gateScales,
                upQuants, upScales, in, hiddenOut, dim)).withGrid(WorkerGrid.of(wGate.rows() / 4 * local, local)));
        graph.task(wDown.gemvAddingInto(l + "ffn_down_residual", gate, acc, local, DecodeOptions.GemvSplit.GROUPS_OF_ROWS));
        return true;
    }

    /**
     * Whether this FFN runs with its norm apart on work-group GEMVs: split Q8_0 whose width takes
     * four neurons per group ({@link #appendQ8_0AddingInto} over floats,
     * {@link #appendOverInt8Blocks} over int8 blocks); the one test that both
     * {@link #appendNormingAndAddingInto} and {@link #appendAddingInto} apply.
     */
    private static boolean normsApart(DeviceMatrix wGate, DeviceMatrix wUp, DeviceMatrix wDown) {
        return DeviceMatrix.allFusable(wGate, wUp, wDown) && wGate.format() == WeightFormat.Q8_0 && wGate.rows() % 4 == 0;
    }

    /**
     * Uploads layer {@code layer}'s FFN matrices and appends {@code gate = silu(W_gate in) * (W_up in)}:
     * one item-per-row kernel for F32 and F16 when {@code fuse} (a fused Q8_0 gate/up measured 3x
     * slower than its two GEMVs on PoCL, 6.98 against 2.2 ms/token), else the two GEMVs and the
     * SwiGLU. Returns the down matrix.
     */
    private DeviceMatrix appendGateUpSilu(TaskGraph graph, int layer, FloatArray in, boolean fuse) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix wGate = weights.matrix(lw.wGate());
        DeviceMatrix wUp = weights.matrix(lw.wUp());
        DeviceMatrix wDown = weights.matrix(lw.wDown());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(split, wGate, wUp, wDown));
        String l = "l" + layer + ".";
        FloatArray hiddenOut = gate;
        int dim = wGate.cols();
        int hidden = wGate.rows();
        WorkerGrid rows = WorkerGrid.covering(hidden, local, 65536);
        if (fuse && wGate.format() == WeightFormat.F32) {
            FloatArray g = (FloatArray) wGate.gemvData();
            FloatArray u = (FloatArray) wUp.gemvData();
            graph.task(Task.of(l + "ffn_gate_up_swiglu", () -> FusedMatVec.gateUpSiluF32RowPerItem(g, u, in, hiddenOut, hidden, dim))
                    .withGrid(rows));
        } else if (fuse && wGate.format() == WeightFormat.F16) {
            IntArray g = (IntArray) wGate.gemvData();
            IntArray u = (IntArray) wUp.gemvData();
            graph.task(Task.of(l + "ffn_gate_up_swiglu", () -> FusedMatVec.gateUpSiluF16PairsRowPerItem(g, u, in, hiddenOut, hidden, dim))
                    .withGrid(rows));
        } else {
            graph.task(wGate.gemv(l + "ffn_gate", in, gate, local, split));
            graph.task(wUp.gemv(l + "ffn_up", in, up, local, split));
            graph.task(siluGateTimesUp(l + "swiglu", gate, up, gate));
        }
        return wDown;
    }

    /**
     * fp16 weights (and Q8_0 whose FFN width is not a multiple of 4): two launches,
     * {@link FusedMatVec#normedGateUpSiluF16} ({@link FusedMatVec#normedGateUpSiluQ8_0}) and the
     * down GEMV adding into the residual. Split Q8_0 over int8 blocks of its input: the norm
     * quantizing, then {@link #appendOverInt8Blocks}. False for Q8_0 over floats: the decoder
     * norms first and {@link #appendAddingInto} runs four neurons per group, which took the dense
     * Q8_0 llama2-7b step on the H200 from 5.23 to 4.28-4.34 ms (the folded norm's weighting and
     * squares per word cost more than the norm's launch in arithmetic-bound Q8_0, docs/PERF.md).
     */
    @Override
    public boolean appendNormingAndAddingInto(TaskGraph graph, int layer, FloatArray residual, FloatArray normWeight, float eps) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix wGate = weights.matrix(lw.wGate());
        DeviceMatrix wUp = weights.matrix(lw.wUp());
        DeviceMatrix wDown = weights.matrix(lw.wDown());
        if (normsApart(wGate, wUp, wDown) && q8_0Input == DecodeOptions.Q8_0Input.INT8_BLOCKS
                && split == DecodeOptions.GemvSplit.GROUPS_OF_ROWS) {
            appendOverInt8Blocks(graph, layer, residual, normWeight, eps);
            return true;
        }
        if (!DeviceMatrix.allFusable(wGate, wUp, wDown) || normsApart(wGate, wUp, wDown)) {
            return false;
        }
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(wGate, wUp, wDown));
        String l = "l" + layer + ".";
        FloatArray in = residual;
        FloatArray hiddenOut = gate;
        int dim = wGate.cols();
        int hidden = wGate.rows();
        KernelContext ctx = new KernelContext();
        Task gateUp;
        if (wGate.format() == WeightFormat.Q8_0) {
            IntArray gateQuants = wGate.splitQuants();
            HalfArray gateScales = wGate.splitScales();
            IntArray upQuants = wUp.splitQuants();
            HalfArray upScales = wUp.splitScales();
            gateUp = Task.of(l + "ffn_norm_gate_up_swiglu", () -> FusedMatVec.normedGateUpSiluQ8_0(ctx, in, normWeight, gateQuants,
                    gateScales, upQuants, upScales, hiddenOut, dim, hidden, eps));
        } else {
            IntArray gateW = wGate.packedHalves();
            IntArray upW = wUp.packedHalves();
            gateUp = Task.of(l + "ffn_norm_gate_up_swiglu", () -> FusedMatVec.normedGateUpSiluF16(ctx, in, normWeight, gateW, upW,
                    hiddenOut, dim, hidden, eps));
        }
        graph.task(gateUp.withGrid(WorkerGrid.of((hidden + 1) / 2 * local, local)));
        graph.task(wDown.gemvAddingInto(l + "ffn_down_residual", gate, residual, local, DecodeOptions.GemvSplit.GROUPS_OF_ROWS));
        return true;
    }

    /**
     * Split Q8_0 over {@link DecodeOptions.Q8_0Input#INT8_BLOCKS}: {@code residual += FFN(RMSNorm(residual)
     * * normWeight)} as four launches, the norm quantizing its output, the gate/up over those
     * blocks ({@link QuantizedInputMatVec#gateUpSiluQ8_0FourNeurons}), the hidden vector
     * quantized, and the down over it adding into the residual.
     */
    private void appendOverInt8Blocks(TaskGraph graph, int layer, FloatArray residual, FloatArray normWeight, float eps) {
        LayerWeights lw = layers.get(layer);
        DeviceMatrix wGate = weights.matrix(lw.wGate());
        DeviceMatrix wUp = weights.matrix(lw.wUp());
        DeviceMatrix wDown = weights.matrix(lw.wDown());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, DeviceMatrix.allGemvData(wGate, wUp, wDown));
        String l = "l" + layer + ".";
        IntArray gateQuants = wGate.splitQuants();
        HalfArray gateScales = wGate.splitScales();
        IntArray upQuants = wUp.splitQuants();
        HalfArray upScales = wUp.splitScales();
        IntArray xQuants = quantized.quants();
        FloatArray xScales = quantized.scales();
        FloatArray hiddenOut = gate;
        int dim = wGate.cols();
        int hidden = wGate.rows();
        KernelContext ctx = new KernelContext();
        graph.task(quantized.normedQuantize(l + "ffn_norm_quantize", residual, normWeight, dim, eps, vectorLocal));
        graph.task(Task.of(l + "ffn_gate_up_swiglu", () -> QuantizedInputMatVec.gateUpSiluQ8_0FourNeurons(ctx, gateQuants, gateScales,
                upQuants, upScales, xQuants, xScales, hiddenOut, dim)).withGrid(WorkerGrid.of(hidden / 4 * local, local)));
        graph.task(quantized.quantize(l + "ffn_hidden_quantize", gate, hidden, local));
        graph.task(quantized.gemv(l + "ffn_down_residual", wDown, residual, true, local));
    }

    @Override
    public long weightBytes(int layer) {
        LayerWeights lw = layers.get(layer);
        return weights.matrix(lw.wGate()).bytes() + weights.matrix(lw.wUp()).bytes() + weights.matrix(lw.wDown()).bytes();
    }

    @Override
    public void close() {
        gate.close();
        up.close();
        quantized.close();
    }

    private Task siluGateTimesUp(String name, FloatArray g, FloatArray u, FloatArray out) {
        int n = (int) g.getSize();
        return Task.of(name, () -> VectorOps.siluGateTimesUp(g, u, out, n)).withGrid(WorkerGrid.covering(n, local, 65536));
    }
}
