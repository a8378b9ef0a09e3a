package org.lte4j.runtime.selftest;

import java.util.List;

/**
 * A module's kernel checks, found with {@link java.util.ServiceLoader}: list the implementing
 * class in {@code META-INF/services/org.lte4j.runtime.selftest.KernelCheckProvider}.
 */
public interface KernelCheckProvider {
    List<KernelCheck> checks();
}
