package org.lte4j.runtime.backend;

import org.lte4j.runtime.compiler.GeneratedKernel;

/** A kernel built for one device, ready to launch. */
public interface DeviceKernel extends AutoCloseable {
    GeneratedKernel generated();

    @Override
    void close();
}
