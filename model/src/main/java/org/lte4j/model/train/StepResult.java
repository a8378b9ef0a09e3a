package org.lte4j.model.train;

/**
 * What one forward (and backward) pass over a batch measured.
 *
 * @param taskLoss   mean cross-entropy per predicted token
 * @param effLoss    mean G^2 (0 without routers)
 * @param sepLoss    mean 1/(G-tau)^2 (0 without routers)
 * @param totalLoss  the optimised objective
 * @param tokens     predicted tokens in the batch
 * @param sparsity   fraction of FFN neurons skipped (under HARD gating or a mask; for SOFT, the
 *                   fraction that hard gating would skip)
 */
public record StepResult(double taskLoss, double effLoss, double sepLoss, double totalLoss, int tokens,
                         double sparsity) {
}
