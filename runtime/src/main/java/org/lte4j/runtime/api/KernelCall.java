package org.lte4j.runtime.api;

import java.io.Serializable;

/**
 * A kernel invocation, written as a lambda that calls one static kernel method:
 * {@code () -> Kernels.saxpy(alpha, x, y, n)}. One signature serves every kernel arity: the
 * runtime reads the lambda's captured variables as the arguments (it is serializable so that
 * {@code SerializedLambda} exposes them) and the called method as the kernel. Arguments must be
 * local variables or constants; values that change between executions belong in an array.
 */
@FunctionalInterface
public interface KernelCall extends Runnable, Serializable {
}
