package org.lte4j.model.lte;

/** Held-out perplexity and the measured fraction of FFN neurons skipped. */
public record EvalResult(String method, double nll, double perplexity, double sparsity, long tokens) {
}
