package org.lte4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.selftest.SelfTest;

/** Every kernel check on the first OpenCL device (PoCL on a CPU in CI) against the JVM run. */
class KernelChecksOnOpenClTest {

    @Test
    void everyCheckPassesOnOpenCl() {
        Device device;
        try {
            device = Devices.select("opencl");
        } catch (IllegalArgumentException e) {
            Assumptions.abort("no OpenCL device, skipping: " + e.getMessage());
            return;
        }
        List<String> lines = new ArrayList<>();
        SelfTest.Summary summary = SelfTest.run(device, 20240601L, line -> {
            lines.add(line);
            System.out.println(line);
        });
        assertEquals(0, summary.failed(), "on " + device.describe() + ":\n" + String.join("\n", lines));
    }
}
