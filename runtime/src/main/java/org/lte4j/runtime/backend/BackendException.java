package org.lte4j.runtime.backend;

/** A driver call failed; the message names the call, the error code's name and what was being done. */
public class BackendException extends RuntimeException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
