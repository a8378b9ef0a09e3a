package org.lte4j.model.sparse;

import java.util.List;

/**
 * What {@link Moefy} did.
 *
 * @param layers per layer: k-means quality and how many experts the initial router passes
 */
public record MoefyReport(int expertSize, int experts, List<Layer> layers) {
    /**
     * @param meanDistance         mean Euclidean distance of a neuron's gate row to its expert's center
     * @param iterations           k-means iterations run
     * @param routerActiveFraction fraction of (calibration input, expert) pairs with G > threshold
     */
    public record Layer(int layer, double meanDistance, int iterations, double routerActiveFraction) {
    }
}
