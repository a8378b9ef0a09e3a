package org.lte4j.model.train;

import java.nio.file.Path;

/** Outcome of a training run: last training loss, held-out metrics, time. */
public record TrainResult(Path out, long steps, double trainLoss, double validationNll, double validationPerplexity,
                          double validationSparsity, double seconds, long parameters) {
}
