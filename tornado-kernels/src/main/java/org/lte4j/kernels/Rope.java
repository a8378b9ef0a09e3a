package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.Parallel;

/**
 * Rotary position embeddings for one token, applied in place to a vector of {@code heads}
 * heads of {@code headDim} each. The position is read from {@code position[0]} on the device,
 * so one captured graph serves every decode step. The variants that take {@code theta} compute
 * angles in double from the position (as {@code org.lte4j.model.train.Rope} does); the rotation
 * itself is fp32.
 *
 * <p>Grid for all: any 1-D (the loop covers {@code heads * headDim / 2} pairs).
 * Traffic: reads and writes the vector once (8 * heads * headDim bytes).
 */
public final class Rope {
    private Rope() {
    }

    /**
     * llama.cpp's rope type NORM (GGUF "llama" models): in each head the interleaved pairs
     * {@code (x[2i], x[2i+1])} rotate by {@code pos * theta^(-2i/headDim)}:
     * {@code (a, b) -> (a cos - b sin, a sin + b cos)}.
     */
    public static void rotateInterleavedPairs(FloatArray x, IntArray position, int heads, int headDim, float theta) {
        int pos = position.get(0);
        int half = headDim / 2;
        for (@Parallel int p = 0; p < heads * half; p++) {
            int head = p / half;
            int i = p - head * half;
            double angle = pos * Math.pow(theta, -2.0 * i / headDim);
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            int at = head * headDim + 2 * i;
            float a = x.get(at);
            float b = x.get(at + 1);
            x.set(at, a * c - b * s);
            x.set(at + 1, a * s + b * c);
        }
    }

    /**
     * As {@link #rotateInterleavedPairs} but pair i rotates by {@code pos * inverseFrequencies[i]}
     * ({@code headDim / 2} entries), for frequency schedules computed on the host such as
     * Llama 3's scaled RoPE (llama.cpp's {@code rope_freqs}). The angle is the fp32 product, as
     * PyTorch and {@code org.lte4j.model.llama.LlamaModel} form it, so decode matches them.
     * Traffic: plus 2 * headDim bytes of frequencies.
     */
    public static void rotateInterleavedPairsByFrequencies(FloatArray x, IntArray position, FloatArray inverseFrequencies,
                                                           int heads, int headDim) {
        int pos = position.get(0);
        int half = headDim / 2;
        for (@Parallel int p = 0; p < heads * half; p++) {
            int head = p / half;
            int i = p - head * half;
            float angle = pos * inverseFrequencies.get(i);
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            int at = head * headDim + 2 * i;
            float a = x.get(at);
            float b = x.get(at + 1);
            x.set(at, a * c - b * s);
            x.set(at + 1, a * s + b * c);
        }
    }

    /**
     * {@link #rotateInterleavedPairsByFrequencies} applied to the query ({@code heads} heads) and
     * the key ({@code kvHeads} heads) of one token in a single launch, saving a launch per layer.
     * An item takes one frequency, of the query or of the key, and rotates that pair in every
     * head, so each angle's cosine and sine are computed once a launch rather than once a head: on
     * PoCL, where they are library calls, the per-pair form took llama-110m 0.31 ms of a 5.5 ms Q8_0
     * token (24 heads).
     * Grid: any 1-D (the loop covers {@code headDim} items: the query's {@code headDim / 2}
     * frequencies, then the key's).
     * Traffic: reads and writes q and k once, plus the frequencies.
     */
    public static void rotateQueryAndKeyByFrequencies(FloatArray query, FloatArray key, IntArray position,
                                                      FloatArray inverseFrequencies, int heads, int kvHeads, int headDim) {
        int pos = position.get(0);
        int half = headDim / 2;
        for (@Parallel int p = 0; p < headDim; p++) {
            int i = p < half ? p : p - half;
            float angle = pos * inverseFrequencies.get(i);
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            if (p < half) {
                for (int head = 0; head < heads; head++) {
                    rotatePair(query, head * headDim + 2 * i, c, s);
                }
            } else {
                for (int head = 0; head < kvHeads; head++) {
                    rotatePair(key, head * headDim + 2 * i, c, s);
                }
            }
        }
    }

    /** {@code (x[at], x[at + 1]) -> (a cos - b sin, a sin + b cos)}. */
    static void rotatePair(FloatArray x, int at, float c, float s) {
        float a = x.get(at);
        float b = x.get(at + 1);
        x.set(at, a * c - b * s);
        x.set(at + 1, a * s + b * c);
    }

    /**
     * llama.cpp's rope type NEOX (Qwen2, Hugging Face layout): in each head the pairs
     * {@code (x[i], x[i + headDim/2])} rotate by {@code pos * theta^(-2i/headDim)}.
     */
    public static void rotateSplitHalves(FloatArray x, IntArray position, int heads, int headDim, float theta) {
        int pos = position.get(0);
        int half = headDim / 2;
        for (@Parallel int p = 0; p < heads * half; p++) {
            int head = p / half;
            int i = p - head * half;
            double angle = pos * Math.pow(theta, -2.0 * i / headDim);
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            int at = head * headDim + i;
            float a = x.get(at);
            float b = x.get(at + half);
            x.set(at, a * c - b * s);
            x.set(at + half, a * s + b * c);
        }
    }
}
