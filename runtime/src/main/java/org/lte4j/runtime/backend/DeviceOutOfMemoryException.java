package org.lte4j.runtime.backend;

/** A device allocation failed; the message says how much was asked and what the device has. */
public class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }
}
