package org.lte4j.model.llama;

/**
 * Llama-3 RoPE frequency scaling ({@code rope_type: "llama3"}): long wavelengths are slowed by
 * {@code factor}, short ones kept, and those between blended smoothly.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContextLength) {

    /** Scales inverse frequencies the way Meta's reference and Hugging Face do. */
    public float[] apply(float[] invFreq) {
        double lowFreqWavelen = originalContextLength / lowFreqFactor;
        double highFreqWavelen = originalContextLength / highFreqFactor;
        float[] out = new float[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) {
            double f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            if (wavelen < highFreqWavelen) {
                out[i] = (float) f;
            } else if (wavelen > lowFreqWavelen) {
                out[i] = (float) (f / factor);
            } else {
                double smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) ((1 - smooth) * f / factor + smooth * f);
            }
        }
        return out;
    }
}
