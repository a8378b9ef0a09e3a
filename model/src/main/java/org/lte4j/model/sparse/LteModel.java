package org.lte4j.model.sparse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.llama.LayerWeights;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.FloatVectors;
import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tensor.ParallelRows;
import org.lte4j.model.tensor.Tensor;

/**
 * A Llama-family model whose FFN runs only the experts its router turns on (LTE inference):
 * per token and layer, {@code G = sigmoid(router . x)} on the normalised FFN input, the experts
 * with {@code G > threshold} are active, and the FFN is the dense SwiGLU restricted to their
 * neurons (gate and up rows of an expert are contiguous; the down projection is a copy regrouped
 * so that each expert's weights are contiguous, see {@link ExpertDown}). Inactive experts'
 * weights are not read. The gate value does not scale the output. Every FFN call records its measured
 * sparsity in {@link #recorder()}.
 *
 * <p>Everything but the FFN is {@link LlamaModel}'s, sharing its weights; closing either closes
 * the shared mapping.
 */
public class LteModel extends LlamaModel {
    /** Experts per task: a fixed grouping, so the summation order is the same on any core count. */
    private static final int EXPERTS_PER_TASK = 4;
    /** Sparse FFNs with fewer multiply-adds than this stay on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;

    private final LteSettings settings;
    private final int experts;
    private final List<ExpertRouter> routers;
    private final List<ExpertDown> expertDown;
    private final SparsityRecorder recorder;
    /** Skipped neurons per token and layer of the prompt batch in flight ({@link #ffnBatch}). */
    private int[][] batchSkipped;

    /**
     * Runs {@code base} sparsely with one router per layer; {@code base}'s FFN neurons must already
     * be grouped into contiguous experts. Builds the regrouped down projections (in the base's
     * arena, freed when the model is closed).
     */
    public LteModel(LlamaModel base, LteSettings settings, List<ExpertRouter> routers) {
        super(base);
        int hidden = config().hiddenDim();
        this.settings = settings;
        this.experts = settings.experts(hidden);
        if (routers.size() != config().nLayers()) {
            throw new IllegalArgumentException(routers.size() + " routers for " + config().nLayers() + " layers");
        }
        for (int l = 0; l < routers.size(); l++) {
            ExpertRouter r = routers.get(l);
            if (r.experts() != experts || r.dim() != config().dim()) {
                throw new IllegalArgumentException("router of layer " + l + " is " + r.experts() + " x " + r.dim()
                        + ", expected " + experts + " x " + config().dim());
            }
        }
        this.routers = List.copyOf(routers);
        ExpertDown[] down = new ExpertDown[config().nLayers()];
        IntStream.range(0, down.length).parallel()
                .forEach(l -> down[l] = ExpertDown.of(layers().get(l).wDown(), settings.expertSize(), source().arena()));
        this.expertDown = List.of(down);
        this.recorder = new SparsityRecorder(config().nLayers(), hidden);
    }

    /**
     * Opens an LTE GGUF file (written by {@link Moefy} or LTE training). A file without
     * {@code lte.*} metadata, a router of the wrong shape or a missing router is a
     * {@link ModelFormatException} naming the key or tensor; a dense model runs with
     * {@link LlamaModel#load} instead.
     */
    public static LteModel load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path, null, -1, "a Hugging Face folder has no LTE routers; run it dense"
                    + " (--dense), or convert it to GGUF and make an LTE model with `lte4j moefy`");
        }
        LlamaModel base = LlamaModel.load(path);
        try {
            LteSettings settings;
            List<ExpertRouter> routers = new ArrayList<>();
            try (GgufFile g = GgufFile.open(path)) {
                settings = settings(g);
                int dim = base.config().dim();
                int hidden = base.config().hiddenDim();
                if (hidden % settings.expertSize() != 0) {
                    throw new ModelFormatException(path, LteGguf.EXPERT_SIZE, -1, "expert size "
                            + settings.expertSize() + " does not divide the FFN width " + hidden);
                }
                int experts = hidden / settings.expertSize();
                for (int l = 0; l < base.config().nLayers(); l++) {
                    routers.add(new ExpertRouter(router(g, l, experts, dim), experts, dim));
                }
            }
            return new LteModel(base, settings, routers);
        } catch (IOException | RuntimeException e) {
            base.close();
            throw e;
        }
    }

    private static LteSettings settings(GgufFile g) {
        if (!LteGguf.isLte(g.metadata())) {
            throw new ModelFormatException(g.path(), LteGguf.EXPERT_SIZE, -1, "not an LTE model (no lte.* metadata):"
                    + " run it dense (--dense), or make an LTE model with `lte4j moefy`");
        }
        int size = g.getInt(LteGguf.EXPERT_SIZE);
        double threshold = g.getDouble(LteGguf.THRESHOLD, LteSettings.DEFAULT_THRESHOLD);
        try {
            return new LteSettings(size, (float) threshold);
        } catch (IllegalArgumentException e) {
            String key = size <= 0 ? LteGguf.EXPERT_SIZE : LteGguf.THRESHOLD;
            throw new ModelFormatException(g.path(), key, -1, e.getMessage(), e);
        }
    }

    private static float[] router(GgufFile g, int layer, int experts, int dim) {
        String name = LteGguf.routerName(layer);
        Tensor t = g.tensor(name);
        long[] expected = {experts, dim};
        if (!Arrays.equals(t.shape(), expected)) {
            long offset = g.tensorInfos().stream().filter(i -> i.name().equals(name))
                    .mapToLong(GgufTensorInfo::infoOffset).findFirst().orElse(-1);
            throw new ModelFormatException(g.path(), name, offset, "router of shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected) + " (FFN width / lte.expert_size experts x dim)");
        }
        return t.toFloats();
    }

    public LteSettings settings() {
        return settings;
    }

    /** Experts per layer. */
    public int experts() {
        return experts;
    }

    public List<ExpertRouter> routers() {
        return routers;
    }

    /** Measured sparsity of every FFN call so far. */
    public SparsityRecorder recorder() {
        return recorder;
    }

    /** The experts of {@code layer} that input {@code x} turns on, ascending. */
    public int[] activeExperts(int layer, float[] x) {
        int[] active = new int[experts];
        int n = routers.get(layer).route(x, settings.threshold(), active);
        return Arrays.copyOf(active, n);
    }

    /** The dense FFN (all neurons, through the original down projection); records nothing. */
    public float[] denseFfn(int layer, float[] x) {
        return super.ffn(layer, x);
    }

    /** The FFN over the active experts only; records the layer's sparsity. */
    @Override
    public float[] ffn(int layer, float[] x) {
        int[] active = activeExperts(layer, x);
        int n = active.length;
        int size = settings.expertSize();
        recorder.record(layer, (experts - n) * size);
        int dim = config().dim();
        float[] out = new float[dim];
        if (n == 0) {
            return out;
        }
        LayerWeights w = layers().get(layer);
        ExpertDown down = expertDown.get(layer);
        // a partial output vector per group of experts, on the tensors' own helper threads (a
        // parallel stream's pool competed with them for the two cores: the Q8_0 token at 80% ran
        // faster with no parallelism at all); each "row" of the job is one partial's output
        int tasks = (n + EXPERTS_PER_TASK - 1) / EXPERTS_PER_TASK;
        float[] partials = new float[tasks * dim];
        ParallelRows.RowRange groups = (from, to, dst, dstOffset) -> {
            for (int t = from / dim; t < to / dim; t++) {
                experts(w, down, x, active, t * EXPERTS_PER_TASK, Math.min(n, (t + 1) * EXPERTS_PER_TASK), dst, dstOffset + t * dim);
            }
        };
        if (tasks > 1 && 3L * n * size * dim >= PARALLEL_THRESHOLD) {
            ParallelRows.forEach(tasks * dim, dim, 1, partials, 0, groups);
        } else {
            groups.run(0, tasks * dim, partials, 0);
        }
        for (int t = 0; t < tasks; t++) {
            for (int i = 0; i < dim; i++) {
                out[i] += partials[t * dim + i];
            }
        }
        return out;
    }

    /**
     * {@link #ffn} for a batch of prompt tokens: every token is routed as {@link #ffn} routes it,
     * and the dense gate and up products of the whole batch ({@link Tensor#matMul}, each weight
     * read once per batch) have the neurons of the experts a token skips set to zero before the
     * original down projection, so a token gets the sum {@link #ffn} forms over its active experts
     * (in another order). A batch costs the dense FFN's arithmetic, which reading the weights once
     * per batch repays. Sparsity rows are recorded per token, in token order, once the batch's last
     * layer has run, so the recorder reads as after token-by-token calls.
     */
    @Override
    protected void ffnBatch(int layer, float[] xb, int count, float[] gate, float[] up, float[] out) {
        LayerWeights w = layers().get(layer);
        int dim = config().dim();
        int hidden = config().hiddenDim();
        int size = settings.expertSize();
        w.wGate().matMul(xb, count, gate);
        w.wUp().matMul(xb, count, up);
        if (batchSkipped == null || batchSkipped.length < count) {
            batchSkipped = new int[count][config().nLayers()];
        }
        float[] x = new float[dim];
        boolean[] on = new boolean[experts];
        for (int t = 0; t < count; t++) {
            System.arraycopy(xb, t * dim, x, 0, dim);
            int[] active = activeExperts(layer, x);
            Arrays.fill(on, false);
            for (int e : active) {
                on[e] = true;
            }
            batchSkipped[t][layer] = (experts - active.length) * size;
            for (int e = 0, p = t * hidden; e < experts; e++, p += size) {
                if (on[e]) {
                    FloatVectors.siluTimes(gate, p, up, p, size);
                } else {
                    Arrays.fill(gate, p, p + size, 0f);
                }
            }
        }
        w.wDown().matMul(gate, count, out);
        if (layer == config().nLayers() - 1) {
            for (int t = 0; t < count; t++) {
                for (int l = 0; l <= layer; l++) {
                    recorder.record(l, batchSkipped[t][l]);
                }
            }
        }
    }

    /**
     * {@code acc[accOffset .. + dim)} = the sum of the outputs of experts {@code active[from..to)}:
     * reads only their rows. Each expert's gate and up rows run as products of many rows
     * ({@link Tensor#matVecOnCallingThread}: four rows per loop, so a row's sums do not wait on
     * each other's latency), each row with exactly {@link Tensor#dot}'s operations; its down is
     * added by {@link ExpertDown}.
     */
    private void experts(LayerWeights w, ExpertDown down, float[] x, int[] active, int from, int to, float[] acc, int accOffset) {
        int dim = config().dim();
        int size = settings.expertSize();
        Arrays.fill(acc, accOffset, accOffset + dim, 0f);
        float[] g = new float[size];
        float[] u = new float[size];
        float[] scratch = new float[dim];
        for (int a = from; a < to; a++) {
            int e = active[a];
            w.wGate().matVecOnCallingThread(x, 0, g, 0, e * size, size);
            w.wUp().matVecOnCallingThread(x, 0, u, 0, e * size, size);
            FloatVectors.siluTimes(g, 0, u, 0, size);
            down.addExpert(e, g, acc, accOffset, scratch);
        }
    }

    @Override
    public String toString() {
        return "LteModel[" + experts + " experts of " + settings.expertSize() + " per layer, threshold "
                + settings.threshold() + ", " + super.toString() + "]";
    }
}
