package org.lte4j.runtime.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The largest work-group a kernel is launched with. On CUDA it becomes
 * {@code __launch_bounds__(value)}, so the compiler keeps each thread's registers within what
 * that many threads share: without it a kernel whose code would use more registers can only be
 * launched with fewer threads (the launch fails with the kernel's limit), even where fewer
 * registers would cost nothing. A launch with a larger group fails. Other backends ignore it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface MaxWorkGroupSize {
    int value();
}
