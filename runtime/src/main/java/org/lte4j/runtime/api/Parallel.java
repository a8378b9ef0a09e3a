package org.lte4j.runtime.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the loop variable of a data-parallel loop: {@code for (@Parallel int i = 0; i < n; i++)}.
 * The compiler maps the loop onto the device's index space as a grid-stride loop, which is
 * correct for any launch size; on the JVM the loop simply runs.
 *
 * <p>Retention is RUNTIME and the target includes TYPE_USE so that javac records the annotation
 * in the method's {@code RuntimeVisibleTypeAnnotations} (target LOCAL_VARIABLE) even without -g.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE_USE, ElementType.LOCAL_VARIABLE})
public @interface Parallel {
}
