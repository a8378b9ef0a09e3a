package org.lte4j.bench.decode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.lte4j.model.device.DecodeOptions;
import org.lte4j.model.device.DeviceLlama;
import org.lte4j.model.gguf.GgufFile;
import org.lte4j.model.hf.HfToGguf;
import org.lte4j.model.llama.LlamaModel;
import org.lte4j.model.llama.LlamaState;
import org.lte4j.model.sampling.Sampler;
import org.lte4j.model.tensor.GgmlType;
import org.lte4j.model.tokenizer.Tokenizer;
import org.lte4j.model.tokenizer.Tokenizers;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;

/**
 * Developer tool: what multiplying Q8_0 weights with int8 blocks of the GEMV inputs
 * ({@link DecodeOptions.Q8_0Input#INT8_BLOCKS}) costs in quality. The model is written as Q8_0,
 * then the validation split of a text (its last 10%) runs in windows of the model's context
 * through the JVM model and through the device decoder over floats and over int8 blocks (the same
 * fused work-group kernels either way), token by token; prints each one's perplexity, how often
 * the two device runs pick the same greedy token, and the largest logit difference relative to
 * the largest logit.
 * Usage: Q8_0InputQuality MODEL.gguf TEXT TOKENS [device] (default device: opencl).
 */
public final class Q8_0InputQuality {
    private Q8_0InputQuality() {
    }

    public static void main(String[] args) throws Exception {
        Path source = Path.of(args[0]);
        String text = Files.readString(Path.of(args[1]));
        int tokens = Integer.parseInt(args[2]);
        Device device = Devices.select(args.length > 3 ? args[3] : "opencl");
        Map<String, Object> metadata;
        try (GgufFile gguf = GgufFile.open(source)) {
            metadata = gguf.metadata();
        }
        Tokenizer tokenizer = Tokenizers.fromGgufMetadata(metadata)
                .orElseThrow(() -> new IllegalArgumentException(source + " has no tokenizer"));
        int[] ids = tokenizer.encode(text.substring(text.length() * 9 / 10));
        Path q8 = Files.createTempFile("lte4j-q8-", ".gguf");
        try (LlamaModel original = LlamaModel.load(source)) {
            HfToGguf.write(original, q8, GgmlType.Q8_0);
        }
        try (LlamaModel model = LlamaModel.load(q8)) {
            int context = model.config().contextLength();
            DecodeOptions options = DecodeOptions.defaults(device, context).withGemv(DecodeOptions.GemvSplit.GROUPS_OF_ROWS)
                    .withFusedLayerSteps(true).withLocalSize(16).withVectorLocalSize(16);
            double jvm = 0;
            double floats = 0;
            double int8 = 0;
            long same = 0;
            long count = 0;
            double worst = 0;
            for (int w = 0; w + context <= Math.min(ids.length, tokens); w += context) {
                LlamaState state = model.newState(context);
                try (DeviceLlama overFloats = DeviceLlama.create(model, device, options.withQ8_0Input(DecodeOptions.Q8_0Input.FLOATS), 0);
                     DeviceLlama overInt8 = DeviceLlama.create(model, device, options.withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS), 0)) {
                    for (int t = 0; t + 1 < context; t++) {
                        float[] byJvm = model.forward(state, ids[w + t]);
                        float[] byFloats = overFloats.forward(ids[w + t]);
                        float[] byInt8 = overInt8.forward(ids[w + t]);
                        int next = ids[w + t + 1];
                        jvm += negativeLogLikelihood(byJvm, next);
                        floats += negativeLogLikelihood(byFloats, next);
                        int8 += negativeLogLikelihood(byInt8, next);
                        same += Sampler.argmax(byFloats) == Sampler.argmax(byInt8) ? 1 : 0;
                        count++;
                        worst = Math.max(worst, largestDifference(byFloats, byInt8));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s as Q8_0 on %s, %d predictions: perplexity %.4f (JVM), %.4f (device, floats),"
                            + " %.4f (device, int8 blocks); same greedy token %.2f%%; largest logit difference %.4f of the largest logit%n",
                    source.getFileName(), device.name(), count, Math.exp(jvm / count), Math.exp(floats / count), Math.exp(int8 / count),
                    100.0 * same / count, worst);
        } finally {
            Files.deleteIfExists(q8);
        }
    }

    private static double negativeLogLikelihood(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return Math.log(sum) + max - logits[target];
    }

    /** max |a - b| over max |a|. */
    private static double largestDifference(float[] a, float[] b) {
        double difference = 0;
        double size = 0;
        for (int i = 0; i < a.length; i++) {
            difference = Math.max(difference, Math.abs(a[i] - b[i]));
            size = Math.max(size, Math.abs(a[i]));
        }
        return difference / size;
    }
}
