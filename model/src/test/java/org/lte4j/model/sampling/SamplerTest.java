package org.lte4j.model.sampling;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 0.5f, 2.5f, -1.0f};

    @Test
    void greedyPicksTheLargestLogit() {
        assertEquals(1, Sampler.greedy().sample(LOGITS));
        assertEquals(3, new Sampler(0, 0.5f, 9).sample(new float[] {0, 1, 2, 7, 3}));
    }

    /** Frequencies over many draws match softmax(logits / T) within sampling error (fixed seed). */
    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        float t = 1.5f;
        Sampler s = new Sampler(t, 1, 42);
        int draws = 200_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            counts[s.sample(LOGITS)]++;
        }
        double[] p = Sampler.softmax(LOGITS, t);
        for (int i = 0; i < p.length; i++) {
            double sd = Math.sqrt(p[i] * (1 - p[i]) / draws);
            assertEquals(p[i], counts[i] / (double) draws, 5 * sd + 1e-9, "token " + i);
        }
    }

    /** With top-p 0.9 only the nucleus {1, 3, 0} (p ~ 0.54 + 0.33 < 0.9, token 0 crosses it) is ever drawn. */
    @Test
    void topPNeverDrawsOutsideTheNucleus() {
        double[] p = Sampler.softmax(LOGITS, 1);
        // sorted: 1, 3, 0, 2, 4; the nucleus for 0.9 is the shortest prefix reaching 0.8
        double mass = p[1] + p[3];
        assertTrue(mass < 0.9 && mass + p[0] >= 0.9, "test premise");
        Sampler s = new Sampler(1, 0.9f, 7);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < 50_000; i++) {
            counts[s.sample(LOGITS)]++;
        }
        assertEquals(0, counts[2]);
        assertEquals(0, counts[4]);
        double nucleus = p[1] + p[3] + p[0];
        assertEquals(p[0] / nucleus, counts[0] / 50_000.0, 0.01);
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        Sampler a = new Sampler(1, 0.95f, 123), b = new Sampler(1, 0.95f, 123), c = new Sampler(1, 0.95f, 124);
        StringBuilder sa = new StringBuilder(), sb = new StringBuilder(), sc = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            sa.append(a.sample(LOGITS));
            sb.append(b.sample(LOGITS));
            sc.append(c.sample(LOGITS));
        }
        assertEquals(sa.toString(), sb.toString());
        assertNotEquals(sa.toString(), sc.toString());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Float.NaN, 1, 0));
    }
}
