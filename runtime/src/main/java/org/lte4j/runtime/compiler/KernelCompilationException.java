package org.lte4j.runtime.compiler;

/**
 * A kernel uses Java the compiler does not support, or is otherwise invalid. The message names
 * the class, method, source line (when the class file has line numbers), bytecode index and the
 * offending construct, e.g.
 * {@code Kernels.bad (Kernels.java:42, bci 17): 'new java.lang.StringBuilder' - object allocation is not supported in kernels}.
 */
public class KernelCompilationException extends RuntimeException {
    public KernelCompilationException(String message) {
        super(message);
    }

    public KernelCompilationException(String message, Throwable cause) {
        super(message, cause);
    }
}
