package org.lte4j.model.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products and scaled adds of float arrays with the Vector API, for the short vectors of
 * attention heads, norms and training (the weight products have their own loops in
 * {@link Tensor}). Every sum has a fixed order, so a result does not depend on whether the JIT has
 * compiled the caller yet: {@code reduceLanes(ADD)} may add lanes in any order.
 */
public final class FloatVectors {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Room for the lanes of four accumulators ({@link #dotFour}); {@link #dot} uses the first L. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * L]);

    private FloatVectors() {
    }

    /**
     * The dot product of {@code len} floats: lane-wise fused multiply-adds, then the lanes added in
     * order, then the tail. A scalar {@code s += a * b} loop is one dependent chain of adds that
     * the JIT may not reorder; this one is about as long as the vector.
     */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        int i = 0;
        int bound = S.loopBound(len);
        float s = 0f;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            float[] lanes = LANES.get();
            acc.intoArray(lanes, 0);
            for (int k = 0; k < L; k++) {
                s += lanes[k];
            }
        }
        for (; i < len; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /**
     * {@link #dot} of {@code a} with four runs of {@code b}, at {@code bo + k * stride} for k = 0..3,
     * into {@code out[oo + k]}: each the very sum {@link #dot} computes, in its order, so the same
     * float bit for bit, with four independent chains of multiply-adds in flight instead of one
     * (attention scores: four cached positions against one query head).
     */
    public static void dotFour(float[] a, int ao, float[] b, int bo, int stride, int len, float[] out, int oo) {
        int i = 0;
        int bound = S.loopBound(len);
        int b1 = bo + stride;
        int b2 = b1 + stride;
        int b3 = b2 + stride;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        if (bound > 0) {
            FloatVector c0 = FloatVector.zero(S);
            FloatVector c1 = c0;
            FloatVector c2 = c0;
            FloatVector c3 = c0;
            for (; i < bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, a, ao + i);
                c0 = x.fma(FloatVector.fromArray(S, b, bo + i), c0);
                c1 = x.fma(FloatVector.fromArray(S, b, b1 + i), c1);
                c2 = x.fma(FloatVector.fromArray(S, b, b2 + i), c2);
                c3 = x.fma(FloatVector.fromArray(S, b, b3 + i), c3);
            }
            float[] lanes = LANES.get();
            c0.intoArray(lanes, 0);
            c1.intoArray(lanes, L);
            c2.intoArray(lanes, 2 * L);
            c3.intoArray(lanes, 3 * L);
            for (int k = 0; k < L; k++) {
                s0 += lanes[k];
                s1 += lanes[L + k];
                s2 += lanes[2 * L + k];
                s3 += lanes[3 * L + k];
            }
        }
        for (; i < len; i++) {
            float x = a[ao + i];
            s0 += x * b[bo + i];
            s1 += x * b[b1 + i];
            s2 += x * b[b2 + i];
            s3 += x * b[b3 + i];
        }
        out[oo] = s0;
        out[oo + 1] = s1;
        out[oo + 2] = s2;
        out[oo + 3] = s3;
    }

    /**
     * Four {@link #axpy} in a row, {@code y += alpha_k * x_k} for k = 0..3 with {@code x_k} at
     * {@code xo + k * stride}: the same operations in the same order, so the same floats bit for
     * bit, with y loaded and stored once instead of four times (attention: four cached positions'
     * values into one head's output).
     */
    public static void axpyFour(float alpha0, float alpha1, float alpha2, float alpha3, float[] x, int xo, int stride,
                                float[] y, int yo, int len) {
        FloatVector a0 = FloatVector.broadcast(S, alpha0);
        FloatVector a1 = FloatVector.broadcast(S, alpha1);
        FloatVector a2 = FloatVector.broadcast(S, alpha2);
        FloatVector a3 = FloatVector.broadcast(S, alpha3);
        int x1 = xo + stride;
        int x2 = x1 + stride;
        int x3 = x2 + stride;
        int i = 0;
        int bound = S.loopBound(len);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).fma(a0, FloatVector.fromArray(S, y, yo + i));
            v = FloatVector.fromArray(S, x, x1 + i).fma(a1, v);
            v = FloatVector.fromArray(S, x, x2 + i).fma(a2, v);
            FloatVector.fromArray(S, x, x3 + i).fma(a3, v).intoArray(y, yo + i);
        }
        for (; i < len; i++) {
            float v = y[yo + i] + alpha0 * x[xo + i];
            v += alpha1 * x[x1 + i];
            v += alpha2 * x[x2 + i];
            y[yo + i] = v + alpha3 * x[x3 + i];
        }
    }

    /**
     * {@code gate[go + i] = silu(gate[go + i]) * up[uo + i]} for {@code i < len}, SwiGLU's gating,
     * with {@code silu(x) = x / (1 + e^-x)} and {@link #exp}: 1.5 against 13.5 us for llama-110m's
     * 2048 neurons with {@code Math.exp} per neuron, 0.14 ms of a token. Every element gets the
     * same operations wherever it lies (the last lanes under a mask).
     */
    public static void siluTimes(float[] gate, int go, float[] up, int uo, int len) {
        for (int i = 0; i < len; i += L) {
            VectorMask<Float> in = S.indexInRange(i, len);
            FloatVector x = FloatVector.fromArray(S, gate, go + i, in);
            x.div(exp(x.neg()).add(1f)).mul(FloatVector.fromArray(S, up, uo + i, in)).intoArray(gate, go + i, in);
        }
    }

    /**
     * The numerators of a softmax of {@code x[o .. o + len) * scale}, in place:
     * {@code x[i] = e^(x[i] * scale - m)} ({@link #exp}) with {@code m} the largest scaled value;
     * returns their sum (lanes, then the lanes added in order). Attention's scores: with
     * {@code Math.exp} per position and head, llama-110m spent about 0.9 ms a token on them at 900
     * positions.
     */
    public static float expOfScaledMinusMax(float[] x, int o, int len, float scale) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < len; i += L) {
            VectorMask<Float> in = S.indexInRange(i, len);
            FloatVector v = FloatVector.fromArray(S, x, o + i, in).mul(scale);
            v.intoArray(x, o + i, in);
            m = m.lanewise(VectorOperators.MAX, v, in);
        }
        float max = m.reduceLanes(VectorOperators.MAX); // a maximum does not depend on the order
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < len; i += L) {
            VectorMask<Float> in = S.indexInRange(i, len);
            FloatVector e = exp(FloatVector.fromArray(S, x, o + i, in).sub(max));
            e.intoArray(x, o + i, in);
            acc = acc.add(e, in);
        }
        float[] lanes = LANES.get();
        acc.intoArray(lanes, 0);
        float sum = 0f;
        for (int k = 0; k < L; k++) {
            sum += lanes[k];
        }
        return sum;
    }

    /**
     * {@code e^x} in every lane, within about an ulp, from IEEE multiplies, adds and bit moves
     * alone: the Vector API's own {@code EXP} calls a vector math library once the JIT compiles the
     * caller and {@code Math.exp} per lane before, so a result would depend on when it was
     * computed; this one is the same in every tier. Cody-Waite reduction {@code x = n ln2 + r},
     * {@code |r| <= ln2 / 2}, Cephes' degree-6 polynomial for {@code e^r}, then {@code 2^n} put into
     * the exponent bits. Below -87.3 (where {@code e^x} leaves the normal floats) it gives 0, above
     * 88.7 infinity, and NaN for NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector n = x.mul(LOG2_E).add(ROUNDING).sub(ROUNDING); // to the nearest integer: 1.5 * 2^23 drops the fraction
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HIGH), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LOW), r);
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f).fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // 2^n as 2^h * 2^(n - h), h = n / 2, so that n = -126 and n = 128 stay normal floats
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector e = er.mul(powerOfTwo(h)).mul(powerOfTwo(ni.sub(h)));
        e = e.blend(0f, x.lt(-87.33654f));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72283f));
    }

    /** {@code 2^k} for every lane's k in [-126, 127]. */
    private static FloatVector powerOfTwo(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    private static final float LOG2_E = 1.44269504088896341f;
    private static final float ROUNDING = 12582912f;
    /** ln 2 in two parts, the first with few enough bits that {@code n * LN2_HIGH} is exact. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;

    /** {@code y[yo..] += alpha * x[xo..]} over {@code len} floats (fused multiply-adds). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        int bound = S.loopBound(len);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < len; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }
}
