package org.lte4j.model.train;

/**
 * Rotary position embedding as llama.cpp applies it to GGUF "llama" models (rope type NORM):
 * within each head, the interleaved pairs {@code (x[2i], x[2i+1])} rotate by
 * {@code pos * base^(-2i/headDim)}. The backward pass is the inverse rotation.
 */
public final class Rope {
    private final int headDim;
    private final int maxPos;
    private final float[] cos;
    private final float[] sin;

    public Rope(int headDim, int maxPos, float base) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE head dimension must be even: " + headDim);
        this.headDim = headDim;
        this.maxPos = maxPos;
        int half = headDim / 2;
        cos = new float[maxPos * half];
        sin = new float[maxPos * half];
        for (int p = 0; p < maxPos; p++) {
            for (int i = 0; i < half; i++) {
                double theta = p * Math.pow(base, -2.0 * i / headDim);
                cos[p * half + i] = (float) Math.cos(theta);
                sin[p * half + i] = (float) Math.sin(theta);
            }
        }
    }

    /**
     * Rotates rows {@code [0, n)} of {@code x} (each row {@code heads * headDim} wide); row r is
     * at position {@code r % seqLen}. {@code inverse} rotates back (used for gradients).
     */
    public void apply(Parallel par, float[] x, int n, int seqLen, int heads, boolean inverse) {
        int half = headDim / 2;
        int width = heads * headDim;
        par.forRange(n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pos = r % seqLen;
                if (pos >= maxPos) throw new IllegalArgumentException("position " + pos + " >= context " + maxPos);
                for (int h = 0; h < heads; h++) {
                    int base = r * width + h * headDim;
                    for (int i = 0; i < half; i++) {
                        float c = cos[pos * half + i];
                        float s = inverse ? -sin[pos * half + i] : sin[pos * half + i];
                        float a = x[base + 2 * i], b = x[base + 2 * i + 1];
                        x[base + 2 * i] = a * c - b * s;
                        x[base + 2 * i + 1] = a * s + b * c;
                    }
                }
            }
        });
    }
}
