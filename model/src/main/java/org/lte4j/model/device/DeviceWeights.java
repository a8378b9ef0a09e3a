package org.lte4j.model.device;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

import org.lte4j.model.tensor.Tensor;
import org.lte4j.runtime.api.FloatArray;

/**
 * The device-side views of one model's weights, made once each: a tensor used twice (tied
 * embedding and output) is one {@link DeviceMatrix} and so one device buffer. Owns the memory of
 * converted copies and of the small vectors (norm weights, biases) and frees it on close.
 */
public final class DeviceWeights implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Map<Tensor, DeviceMatrix> matrices = new IdentityHashMap<>();
    private final Map<float[], FloatArray> vectors = new IdentityHashMap<>();
    private final Map<Integer, FloatArray> zeros = new HashMap<>();

    public DeviceMatrix matrix(Tensor t) {
        return matrices.computeIfAbsent(t, m -> DeviceMatrix.of(m, arena));
    }

    /** An off-heap copy of {@code v} (norm weights, biases, RoPE frequencies); null stays null. */
    public FloatArray vector(float[] v) {
        if (v == null) {
            return null;
        }
        return vectors.computeIfAbsent(v, FloatArray::of);
    }

    /** {@code v} on the device, or {@code n} zeros where the model has no such vector (e.g. no q/k/v bias). */
    public FloatArray vectorOrZeros(float[] v, int n) {
        return v != null ? vector(v) : zeros.computeIfAbsent(n, FloatArray::new);
    }

    @Override
    public void close() {
        vectors.values().forEach(FloatArray::close);
        vectors.clear();
        zeros.values().forEach(FloatArray::close);
        zeros.clear();
        matrices.clear();
        arena.close();
    }
}
