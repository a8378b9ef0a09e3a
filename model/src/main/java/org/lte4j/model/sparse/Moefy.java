package org.lte4j.model.sparse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.gguf.GgufTensorInfo;
import org.lte4j.model.gguf.GgufValueType;
import org.lte4j.model.gguf.GgufWriter;
import org.lte4j.model.lte.BalancedKMeans;
import org.lte4j.model.llama.LlamaConfig;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tensor.Tensor;
import org.lte4j.model.train.ProgressListener;

/**
 * Turns a dense GGUF model into an LTE GGUF model before training ("MoEfication"): per layer,
 * balanced k-means on the neurons' gate rows groups the FFN into experts of {@code expertSize}
 * neurons, the gate/up rows and down columns are permuted so each expert is contiguous (the dense
 * model computes the same function), and an initial router is added ({@link RouterInit}).
 *
 * <p>The output keeps every metadata entry and tensor of the input, in the input's storage types
 * (down columns of Q8_0/Q4_0 files are dequantised, permuted and requantised with GGML's
 * reference quantiser, see {@link NeuronPermuter}; k-quant tensors, which the reader converts,
 * come out as Q8_0), and adds {@code lte.expert_size}, {@code lte.threshold} = 0.5 and
 * {@code blk.N.ffn_router.weight} (F32 {@code [experts, dim]}). A reader that ignores these runs
 * the permuted dense model. Deterministic for a seed. The permuted FFN tensors wait for the
 * writer in a temporary file next to the output (as large as the FFN tensors), not in RAM.
 */
public final class Moefy {
    public static final int KMEANS_ITERATIONS = 20;
    private static final int BAR = 24;

    private Moefy() {
    }

    public static MoefyReport run(Path in, Path out, int expertSize, long seed, ProgressListener progress)
            throws IOException {
        if (Files.isDirectory(in)) {
            throw new IllegalArgumentException(in + " is a folder; moefy reads a GGUF file (convert a Hugging Face"
                    + " folder to GGUF first)");
        }
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("moefy would overwrite its input " + in + "; choose another --out");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (GgufFile g = GgufFile.open(in); LlamaModel model = LlamaModel.load(in); ScratchFile scratch = new ScratchFile(out)) {
            if (LteGguf.isLte(g.metadata())) {
                throw new IllegalArgumentException(in + " is already an LTE model (" + LteGguf.EXPERT_SIZE + " = "
                        + g.metadata().get(LteGguf.EXPERT_SIZE) + ")");
            }
            LlamaConfig c = model.config();
            int hidden = c.hiddenDim();
            int dim = c.dim();
            if (expertSize <= 0 || hidden % expertSize != 0) {
                throw new IllegalArgumentException(in + ": the FFN width (" + c.architecture() + ".feed_forward_length) "
                        + hidden + " is not a multiple of the expert size " + expertSize
                        + "; choose an expert size that divides it");
            }
            LteSettings settings = new LteSettings(expertSize, LteSettings.DEFAULT_THRESHOLD);
            int experts = settings.experts(hidden);

            Map<String, Tensor> permuted = new HashMap<>();
            List<float[]> routers = new ArrayList<>();
            List<MoefyReport.Layer> report = new ArrayList<>();
            long t0 = System.nanoTime();
            int layers = c.nLayers();
            for (int l = 0; l < layers; l++) {
                String b = "blk." + l + ".";
                Tensor gate = g.tensor(b + "ffn_gate.weight");
                Tensor up = g.tensor(b + "ffn_up.weight");
                Tensor down = g.tensor(b + "ffn_down.weight");
                float[] gateRows = gate.toFloats();
                BalancedKMeans.Result r = BalancedKMeans.cluster(gateRows, hidden, dim, expertSize, seed + l,
                        KMEANS_ITERATIONS, progress, "layer " + l);
                int[] order = r.order();
                permuted.put(gate.name(), NeuronPermuter.rows(gate, order, scratch::allocate));
                permuted.put(up.name(), NeuronPermuter.rows(up, order, scratch::allocate));
                permuted.put(down.name(), NeuronPermuter.columns(down, order, scratch::allocate));
                RouterInit.Layer router = RouterInit.of(NeuronPermuter.rows(gateRows, dim, order), experts, expertSize,
                        model.layers().get(l).ffnNorm(), seed + l, settings.threshold());
                routers.add(router.weights());
                report.add(new MoefyReport.Layer(l, r.meanDistance(), r.iterations(), router.activeFraction()));
                double elapsed = (System.nanoTime() - t0) / 1e9;
                int done = l + 1;
                int filled = BAR * done / layers;
                progress.onProgress(String.format("[%s%s] layer %d/%d  k-means mean distance %.4f (%d iterations)"
                                + "  initial router passes %.0f%% of experts  elapsed %s  ETA %s",
                        "#".repeat(filled), ".".repeat(BAR - filled), done, layers, r.meanDistance(), r.iterations(),
                        100 * router.activeFraction(), ProgressListener.duration(elapsed),
                        ProgressListener.duration(elapsed / done * (layers - done))));
            }

            GgufWriter w = new GgufWriter().alignment((int) g.alignment()).putAll(g);
            w.put(LteGguf.EXPERT_SIZE, GgufValueType.UINT32, expertSize);
            w.put(LteGguf.THRESHOLD, GgufValueType.FLOAT32, settings.threshold());
            for (GgufTensorInfo info : g.tensorInfos()) {
                Tensor t = permuted.get(info.name());
                w.addTensor(t != null ? t : g.tensor(info.name()));
            }
            for (int l = 0; l < layers; l++) {
                w.addTensor(LteGguf.routerName(l), GgmlType.F32, new long[]{experts, dim}, routers.get(l));
            }
            progress.onProgress("writing " + out);
            w.write(out);
            return new MoefyReport(expertSize, experts, List.copyOf(report));
        }
    }
}
