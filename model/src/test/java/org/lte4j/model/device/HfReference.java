package org.lte4j.model.device;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.lte4j.model.json.Json;

/** The transformers reference of a test model in src/test/resources/hf (scripts/hf_reference.py). */
record HfReference(Path folder, int[] inputIds, float[][] logits, int[] greedy) {

    static HfReference load(String name) throws Exception {
        Path folder = Path.of(HfReference.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
        Map<String, Object> ref = Json.parseObject(Files.readString(folder.resolve("reference.json")));
        List<?> rows = (List<?>) ref.get("logits");
        float[][] logits = new float[rows.size()][];
        for (int t = 0; t < logits.length; t++) {
            List<?> row = (List<?>) rows.get(t);
            logits[t] = new float[row.size()];
            for (int i = 0; i < row.size(); i++) {
                logits[t][i] = ((Number) row.get(i)).floatValue();
            }
        }
        return new HfReference(folder, ints(ref.get("input_ids")), logits, ints(ref.get("greedy")));
    }

    private static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    /** max |actual - expected| / max |expected|. */
    static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < actual.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        return maxDiff / maxAbs;
    }
}
