package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.Embedding;
import org.lte4j.kernels.Normalization;
import org.lte4j.kernels.Rope;
import org.lte4j.kernels.Softmax;
import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/** Per-token layer kernels: normalisation, softmax, rotary embeddings, embedding lookup. */
final class LayerChecks {
    private static final int HEADS = 6;
    private static final int HEAD_DIM = 64;
    private static final int VOCAB = 50;
    private static final int DIM = 96;

    private LayerChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(Normalization.class, "rmsNorm", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    float eps = 1e-5f;
                    FloatArray x = r.floats(n);
                    FloatArray weight = r.floats(n);
                    FloatArray out = new FloatArray(n);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("rmsNorm", () -> Normalization.rmsNorm(ctx, x, weight, out, n, eps)).withGrid(WorkerGrid.of(128, 128));
                    // outputs are O(1); the sum of squares carries ~1e-6 relative error into the scale
                    return prepared(t, 1e-5, List.of(x, weight), out);
                }),
                Check.of(Softmax.class, "softmaxInPlace", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int n = 1000;
                    FloatArray x = r.floats(n);
                    for (int i = 0; i < n; i++) {
                        x.set(i, x.get(i) * 8); // logits spread over [-8, 8]
                    }
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("softmaxInPlace", () -> Softmax.softmaxInPlace(ctx, x, n)).withGrid(WorkerGrid.of(128, 128));
                    // probabilities are below 1: absolute errors of a few ulp of the largest
                    return prepared(t, 1e-6, List.of(x), x);
                }),
                Check.of(Rope.class, "rotateInterleavedPairs", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int headDim = HEAD_DIM;
                    float theta = 10000f;
                    FloatArray x = r.floats(heads * headDim);
                    IntArray position = IntArray.of(r.nextInt(200));
                    // the device may evaluate pow/sin/cos in float: angle error ~ pos * 1e-7
                    return prepared(Task.of("rotateInterleavedPairs", () -> Rope.rotateInterleavedPairs(x, position, heads, headDim, theta)),
                            1e-4, List.of(x, position), x);
                }),
                Check.of(Rope.class, "rotateInterleavedPairsByFrequencies", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int headDim = HEAD_DIM;
                    FloatArray x = r.floats(heads * headDim);
                    FloatArray frequencies = new FloatArray(headDim / 2);
                    for (int i = 0; i < headDim / 2; i++) {
                        frequencies.set(i, (float) Math.pow(500000.0, -2.0 * i / headDim) * (i > headDim / 4 ? 0.125f : 1f));
                    }
                    IntArray position = IntArray.of(r.nextInt(200));
                    return prepared(Task.of("rotateInterleavedPairsByFrequencies",
                                    () -> Rope.rotateInterleavedPairsByFrequencies(x, position, frequencies, heads, headDim)),
                            1e-4, List.of(x, position, frequencies), x);
                }),
                Check.of(Rope.class, "rotateQueryAndKeyByFrequencies", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = 2;
                    int headDim = HEAD_DIM;
                    FloatArray query = r.floats(heads * headDim);
                    FloatArray key = r.floats(kvHeads * headDim);
                    FloatArray frequencies = new FloatArray(headDim / 2);
                    for (int i = 0; i < headDim / 2; i++) {
                        frequencies.set(i, (float) Math.pow(10000.0, -2.0 * i / headDim));
                    }
                    IntArray position = IntArray.of(r.nextInt(200));
                    return prepared(Task.of("rotateQueryAndKeyByFrequencies",
                                    () -> Rope.rotateQueryAndKeyByFrequencies(query, key, position, frequencies, heads, kvHeads, headDim)),
                            1e-4, List.of(query, key, position, frequencies), query, key);
                }),
                Check.of(Rope.class, "rotateSplitHalves", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int headDim = HEAD_DIM;
                    float theta = 1000000f;
                    FloatArray x = r.floats(heads * headDim);
                    IntArray position = IntArray.of(r.nextInt(200));
                    return prepared(Task.of("rotateSplitHalves", () -> Rope.rotateSplitHalves(x, position, heads, headDim, theta)),
                            1e-4, List.of(x, position), x);
                }),
                Check.of(Embedding.class, "copyRowF32", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    FloatArray table = r.floats(VOCAB * dim);
                    IntArray token = IntArray.of(r.nextInt(VOCAB));
                    FloatArray out = new FloatArray(dim);
                    return prepared(Task.of("copyRowF32", () -> Embedding.copyRowF32(table, token, out, dim)), 0, List.of(table, token), out);
                }),
                Check.of(Embedding.class, "copyRowF16", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    HalfArray table = r.halves(VOCAB * dim);
                    IntArray token = IntArray.of(r.nextInt(VOCAB));
                    FloatArray out = new FloatArray(dim);
                    return prepared(Task.of("copyRowF16", () -> Embedding.copyRowF16(table, token, out, dim)), 0, List.of(table, token), out);
                }),
                Check.of(Embedding.class, "copyRowQ8_0", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int dim = DIM;
                    ByteArray table = QuantizedInputs.randomQ8_0(r, VOCAB, dim);
                    IntArray token = IntArray.of(r.nextInt(VOCAB));
                    FloatArray out = new FloatArray(dim);
                    return prepared(Task.of("copyRowQ8_0", () -> Embedding.copyRowQ8_0(table, token, out, dim)), 0, List.of(table, token), out);
                }));
    }
}
