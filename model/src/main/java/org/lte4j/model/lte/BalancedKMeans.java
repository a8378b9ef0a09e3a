package org.lte4j.model.lte;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.lte4j.model.train.ProgressListener;

/**
 * Balanced k-means: {@code n} points of {@code dim} into {@code n / size} clusters of exactly
 * {@code size} points each. Centers start by k-means++ (seeded); each assignment step is a
 * capacity-constrained greedy pass over all (point, cluster) pairs in order of distance,
 * followed by improving swaps between clusters; centers are then the cluster means.
 * Deterministic for a seed.
 */
public final class BalancedKMeans {

    /**
     * @param assignment   cluster of every point
     * @param order        points sorted by cluster (cluster c owns positions [c*size, (c+1)*size)),
     *                     ascending point index within a cluster
     * @param meanDistance mean Euclidean distance of a point to its cluster's center
     */
    public record Result(int[] assignment, int[] order, double meanDistance, int iterations) {
    }

    private BalancedKMeans() {
    }

    public static Result cluster(float[] points, int n, int dim, int size, long seed, int maxIterations,
                                 ProgressListener progress, String label) {
        if (size <= 0 || n % size != 0) {
            throw new IllegalArgumentException(label + ": " + n + " points do not split into clusters of " + size);
        }
        int k = n / size;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] centers = initPlusPlus(points, n, dim, k, rnd);
        int[] assign = new int[n];
        Arrays.fill(assign, -1);
        double[] dist = new double[n * k];
        long t0 = System.nanoTime();
        int it = 0;
        for (; it < maxIterations; it++) {
            distances(points, n, dim, centers, k, dist);
            int[] next = greedyAssign(dist, n, k, size);
            improveBySwaps(dist, next, n, k);
            boolean changed = !Arrays.equals(next, assign);
            assign = next;
            recenter(points, n, dim, assign, k, centers);
            double el = (System.nanoTime() - t0) / 1e9;
            progress.onProgress(String.format("%s k-means iteration %d/%d (%.0f%%)  %.1f it/s  ETA %s", label,
                    it + 1, maxIterations, 100.0 * (it + 1) / maxIterations, (it + 1) / el,
                    ProgressListener.duration(el / (it + 1) * (maxIterations - it - 1))));
            if (!changed) {
                it++;
                break;
            }
        }
        distances(points, n, dim, centers, k, dist);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.sqrt(dist[i * k + assign[i]]);
        int[] order = new int[n];
        int[] fill = new int[k];
        for (int i = 0; i < n; i++) {
            int c = assign[i];
            order[c * size + fill[c]++] = i;
        }
        return new Result(assign, order, sum / n, it);
    }

    private static double[] initPlusPlus(float[] p, int n, int dim, int k, SplittableRandom rnd) {
        double[] centers = new double[k * dim];
        double[] best = new double[n];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        int first = rnd.nextInt(n);
        for (int j = 0; j < dim; j++) centers[j] = p[first * dim + j];
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                best[i] = Math.min(best[i], sq(p, i, dim, centers, c - 1));
                total += best[i];
            }
            double r = rnd.nextDouble() * total;
            int pick = n - 1;
            for (int i = 0; i < n; i++) {
                r -= best[i];
                if (r <= 0) {
                    pick = i;
                    break;
                }
            }
            for (int j = 0; j < dim; j++) centers[c * dim + j] = p[pick * dim + j];
        }
        return centers;
    }

    private static double sq(float[] p, int i, int dim, double[] centers, int c) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
            double d = p[i * dim + j] - centers[c * dim + j];
            s += d * d;
        }
        return s;
    }

    private static void distances(float[] p, int n, int dim, double[] centers, int k, double[] dist) {
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) dist[i * k + c] = sq(p, i, dim, centers, c);
        }
    }

    /** Every (point, cluster) pair by distance; take a pair when the point is free and the cluster not full. */
    private static int[] greedyAssign(double[] dist, int n, int k, int size) {
        Integer[] pairs = new Integer[n * k];
        for (int i = 0; i < pairs.length; i++) pairs[i] = i;
        Arrays.sort(pairs, (a, b) -> {
            int cmp = Double.compare(dist[a], dist[b]);
            return cmp != 0 ? cmp : Integer.compare(a, b);
        });
        int[] assign = new int[n];
        Arrays.fill(assign, -1);
        int[] count = new int[k];
        int done = 0;
        for (int idx = 0; idx < pairs.length && done < n; idx++) {
            int pair = pairs[idx];
            int i = pair / k, c = pair % k;
            if (assign[i] >= 0 || count[c] == size) continue;
            assign[i] = c;
            count[c]++;
            done++;
        }
        return assign;
    }

    /** Swaps two points of different clusters while that lowers the total distance (bounded passes). */
    private static void improveBySwaps(double[] dist, int[] assign, int n, int k) {
        for (int pass = 0; pass < 4; pass++) {
            boolean improved = false;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    int a = assign[i], b = assign[j];
                    if (a == b) continue;
                    double gain = dist[i * k + a] + dist[j * k + b] - dist[i * k + b] - dist[j * k + a];
                    if (gain > 1e-12) {
                        assign[i] = b;
                        assign[j] = a;
                        improved = true;
                    }
                }
            }
            if (!improved) return;
        }
    }

    private static void recenter(float[] p, int n, int dim, int[] assign, int k, double[] centers) {
        Arrays.fill(centers, 0);
        int[] count = new int[k];
        for (int i = 0; i < n; i++) {
            int c = assign[i];
            count[c]++;
            for (int j = 0; j < dim; j++) centers[c * dim + j] += p[i * dim + j];
        }
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < dim; j++) centers[c * dim + j] /= count[c];
        }
    }
}
