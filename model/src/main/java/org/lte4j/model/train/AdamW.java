package org.lte4j.model.train;

import java.util.List;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter): {@code p -= lr * (mhat /
 * (sqrt(vhat) + eps) + wd * p)}; parameters whose {@link Parameter#decay()} is false (norms,
 * routers) are not decayed. Frozen parameters are skipped.
 */
public final class AdamW {
    private final List<Parameter> params;
    private final float[][] m;
    private final float[][] v;
    private final float beta1, beta2, eps, weightDecay;
    private long step;
    private float routerLrMultiplier = 1f;

    public AdamW(List<Parameter> params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.m = new float[params.size()][];
        this.v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).data().length];
            v[i] = new float[params.get(i).data().length];
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public static AdamW standard(List<Parameter> params, float weightDecay) {
        return new AdamW(params, 0.9f, 0.95f, 1e-8f, weightDecay);
    }

    /** Router weights learn at {@code multiplier} times the scheduled rate (LTE stage 1). */
    public AdamW withRouterLrMultiplier(float multiplier) {
        if (!(multiplier > 0)) throw new IllegalArgumentException("router lr multiplier must be > 0");
        this.routerLrMultiplier = multiplier;
        return this;
    }

    public long stepCount() {
        return step;
    }

    public void setStepCount(long step) {
        this.step = step;
    }

    public float[] firstMoment(int i) {
        return m[i];
    }

    public float[] secondMoment(int i) {
        return v[i];
    }

    /** Global L2 norm of the gradients of unfrozen parameters (in double, in parameter order). */
    public double gradNorm() {
        return Math.sqrt(Math.pow(gradNorm(false), 2) + Math.pow(gradNorm(true), 2));
    }

    /**
     * Norm of the router gradients, or of all others. The two groups are clipped separately:
     * the LTE regularisers give router gradients orders of magnitude above the task gradient,
     * and one global clip would shrink the model's update to nothing on such steps.
     */
    private double gradNorm(boolean routers) {
        double ss = 0;
        for (Parameter p : params) {
            if (p.frozen() || isRouter(p) != routers) continue;
            for (float g : p.grad()) ss += (double) g * g;
        }
        return Math.sqrt(ss);
    }

    private static boolean isRouter(Parameter p) {
        return p.name().endsWith("ffn_router.weight");
    }

    /**
     * Clips the gradients (routers and the rest separately) to global norm {@code maxNorm} (if positive), applies one update at
     * learning rate {@code lr}, and returns the norm before clipping.
     */
    public double step(Parallel par, float lr, float maxNorm) {
        double norm = gradNorm(false);
        double routerNorm = gradNorm(true);
        float clip = maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / norm) : 1f;
        float routerClip = maxNorm > 0 && routerNorm > maxNorm ? (float) (maxNorm / routerNorm) : 1f;
        step++;
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        for (int pi = 0; pi < params.size(); pi++) {
            Parameter p = params.get(pi);
            if (p.frozen()) continue;
            float[] data = p.data(), grad = p.grad(), mm = m[pi], vv = v[pi];
            float decay = p.decay() ? weightDecay : 0f;
            float c = isRouter(p) ? routerClip : clip;
            float plr = isRouter(p) ? lr * routerLrMultiplier : lr;
            par.forRange(data.length, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    float g = grad[i] * c;
                    mm[i] = beta1 * mm[i] + (1 - beta1) * g;
                    vv[i] = beta2 * vv[i] + (1 - beta2) * g * g;
                    float mh = mm[i] / bc1, vh = vv[i] / bc2;
                    data[i] -= plr * (mh / ((float) Math.sqrt(vh) + eps) + decay * data[i]);
                }
            });
        }
        return norm;
    }
}
