package org.lte4j.model.llama;

/**
 * Converts q/k projection rows between the two RoPE layouts. Hugging Face rotates half-split
 * pairs (i, i + headDim/2) of a head; GGML and lte4j rotate adjacent pairs (2i, 2i + 1). Moving
 * row {@code h*hd + j*hd/2 + i} to {@code h*hd + 2i + j} turns one into the other (the
 * permutation llama.cpp's converter applies).
 */
public final class RopeLayout {
    private RopeLayout() {
    }

    /** {@code order[newRow] = oldRow} taking rotate-half rows to interleaved rows. */
    public static int[] halvesToInterleaved(int heads, int headDim) {
        int[] order = new int[heads * headDim];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    order[h * headDim + 2 * i + j] = h * headDim + j * half + i;
                }
            }
        }
        return order;
    }

    /** {@code order[newRow] = oldRow} taking interleaved rows back to rotate-half rows. */
    public static int[] interleavedToHalves(int heads, int headDim) {
        int[] forward = halvesToInterleaved(heads, headDim);
        int[] inverse = new int[forward.length];
        for (int i = 0; i < forward.length; i++) {
            inverse[forward[i]] = i;
        }
        return inverse;
    }

    public static float[] permute(float[] v, int[] order) {
        if (v == null) {
            return null;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[order[i]];
        }
        return out;
    }
}
