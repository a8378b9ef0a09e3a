package org.lte4j.model.lte;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lte4j.model.train.ProgressListener;

class BalancedKMeansTest {

    /** Four well-separated blobs of 8 points each, shuffled. */
    private static float[] blobs(int[] truth, long seed) {
        int n = 32, dim = 5;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] p = new float[n * dim];
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < n; i++) {
            int blob = perm[i] / 8;
            truth[i] = blob;
            for (int d = 0; d < dim; d++) p[i * dim + d] = (d == blob ? 10f : 0f) + (float) (rnd.nextDouble() - 0.5);
        }
        return p;
    }

    @Test
    void recoversSeparatedClustersWithExactSizes() {
        int[] truth = new int[32];
        float[] p = blobs(truth, 7);
        BalancedKMeans.Result r = BalancedKMeans.cluster(p, 32, 5, 8, 3, 20, ProgressListener.SILENT, "test");
        int[] sizes = new int[4];
        for (int a : r.assignment()) sizes[a]++;
        assertArrayEquals(new int[]{8, 8, 8, 8}, sizes);
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 32; j++) {
                assertEquals(truth[i] == truth[j], r.assignment()[i] == r.assignment()[j], "points " + i + "," + j);
            }
        }
        assertTrue(r.meanDistance() < 1.0, "mean distance " + r.meanDistance());
        // order lists every point once, grouped by cluster
        boolean[] seen = new boolean[32];
        for (int pos = 0; pos < 32; pos++) {
            int pt = r.order()[pos];
            assertTrue(!seen[pt]);
            seen[pt] = true;
            assertEquals(pos / 8, r.assignment()[pt]);
        }
    }

    @Test
    void balancedEvenWhenDataIsNotAndDeterministicForASeed() {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] p = new float[64 * 3];
        for (int i = 0; i < p.length; i++) p[i] = (float) (i < 48 * 3 ? rnd.nextDouble() : 5 + rnd.nextDouble());
        BalancedKMeans.Result a = BalancedKMeans.cluster(p, 64, 3, 16, 9, 10, ProgressListener.SILENT, "t");
        BalancedKMeans.Result b = BalancedKMeans.cluster(p, 64, 3, 16, 9, 10, ProgressListener.SILENT, "t");
        int[] sizes = new int[4];
        for (int x : a.assignment()) sizes[x]++;
        assertArrayEquals(new int[]{16, 16, 16, 16}, sizes);
        assertArrayEquals(a.order(), b.order());
        assertEquals(a.meanDistance(), b.meanDistance());
    }

    @Test
    void rejectsSizesThatDoNotDivide() {
        assertThrows(IllegalArgumentException.class,
                () -> BalancedKMeans.cluster(new float[30], 10, 3, 4, 1, 5, ProgressListener.SILENT, "x"));
    }
}
