package org.lte4j.kernels.checks;

import static org.lte4j.kernels.checks.Check.prepared;

import java.util.List;

import org.lte4j.kernels.Attention;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.graph.Task;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.RandomArrays;

/** KV-cache write and GQA attention, both kernels (4 query heads per KV head, positions not a multiple of the group). */
final class AttentionChecks {
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 48;
    private static final int CONTEXT = 40;

    private AttentionChecks() {
    }

    static List<KernelCheck> all() {
        return List.of(
                Check.of(Attention.class, "storeKeyValue", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int kvDim = KV_HEADS * HEAD_DIM;
                    FloatArray key = r.floats(kvDim);
                    FloatArray value = r.floats(kvDim);
                    FloatArray keyCache = r.floats(CONTEXT * kvDim);
                    FloatArray valueCache = r.floats(CONTEXT * kvDim);
                    IntArray position = IntArray.of(r.nextInt(CONTEXT));
                    return prepared(Task.of("storeKeyValue", () -> Attention.storeKeyValue(key, value, keyCache, valueCache, position, kvDim)),
                            0, List.of(key, value, keyCache, valueCache, position), keyCache, valueCache);
                }),
                Check.of(Attention.class, "attendOneQuery", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = CONTEXT;
                    FloatArray query = r.floats(heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(heads * context);
                    FloatArray out = new FloatArray(heads * headDim);
                    IntArray position = IntArray.of(29);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("attendOneQuery", () -> Attention.attendOneQuery(ctx, query, keyCache, valueCache, scores, out, position,
                            heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * 16, 16));
                    // scores are dot products of 48 terms below 1 (error ~1e-6); outputs are convex combinations of values in [-1, 1]
                    return prepared(t, 1e-5, List.of(query, keyCache, valueCache, position), out);
                }),
                Check.of(Attention.class, "attendOneQueryLanesPerPosition", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = 300;
                    FloatArray query = r.floats(heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(heads * context);
                    FloatArray out = new FloatArray(heads * headDim);
                    IntArray position = IntArray.of(280);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("attendOneQueryLanesPerPosition", () -> Attention.attendOneQueryLanesPerPosition(ctx, query, keyCache, valueCache, scores, out, position,
                            heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads * 64, 64));
                    // 64 items: 32 lanes per position, two rows, 64 positions a round: 281 positions take five rounds, the last partial
                    // scores are dot products of 48 terms below 1 (error ~1e-6); outputs are convex combinations of values in [-1, 1]
                    return prepared(t, 1e-5, List.of(query, keyCache, valueCache, position), out);
                }),
                Check.of(Attention.class, "attendOneQueryItemPerHead", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = 300;
                    FloatArray query = r.floats(heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(heads * context);
                    FloatArray out = new FloatArray(heads * headDim);
                    IntArray position = IntArray.of(280);
                    Task t = Task.of("attendOneQueryItemPerHead", () -> Attention.attendOneQueryItemPerHead(query, keyCache, valueCache,
                            scores, out, position, heads, kvHeads, headDim, context)).withGrid(WorkerGrid.of(heads, 1));
                    return prepared(t, 1e-5, List.of(query, keyCache, valueCache, position), out);
                }),
                Check.of(Attention.class, "attendOneQuerySplitPositions", seed -> {
                    RandomArrays r = new RandomArrays(seed);
                    int heads = HEADS;
                    int kvHeads = KV_HEADS;
                    int headDim = HEAD_DIM;
                    int context = 700;
                    int splits = 4;
                    FloatArray query = r.floats(heads * headDim);
                    FloatArray keyCache = r.floats(context * kvHeads * headDim);
                    FloatArray valueCache = r.floats(context * kvHeads * headDim);
                    FloatArray scores = new FloatArray(heads * context);
                    FloatArray partials = new FloatArray(heads * splits * (headDim + 2));
                    IntArray tickets = new IntArray(heads);
                    FloatArray out = new FloatArray(heads * headDim);
                    IntArray position = IntArray.of(650);
                    KernelContext ctx = new KernelContext();
                    Task t = Task.of("attendOneQuerySplitPositions", () -> Attention.attendOneQuerySplitPositions(ctx, query, keyCache,
                            valueCache, scores, partials, tickets, out, position, heads, kvHeads, headDim, context, splits))
                            .withGrid(WorkerGrid.of(heads * splits * 64, 64));
                    // 651 positions in runs of 256, 256 and 139, the fourth run empty; the last group of each head combines them
                    return prepared(t, 1e-5, List.of(query, keyCache, valueCache, position, tickets), out);
                }));
    }
}
