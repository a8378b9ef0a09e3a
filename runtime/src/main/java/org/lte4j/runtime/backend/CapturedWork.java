package org.lte4j.runtime.backend;

/** Recorded device work (a CUDA graph) that replays with one launch. */
public interface CapturedWork extends AutoCloseable {
    /** Enqueues the whole recording. */
    void replay();

    @Override
    void close();
}
