package org.lte4j.runtime.backend.opencl;

/** Prints {@link OpenClBackend#deviceLines()}; run in a child JVM to test discovery under other environments. */
public final class OpenClDevicesMain {
    private OpenClDevicesMain() {
    }

    public static void main(String[] args) {
        OpenClBackend.deviceLines().forEach(System.out::println);
    }
}
