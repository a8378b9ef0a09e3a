package org.lte4j.runtime.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.DeviceBuffer;
import org.lte4j.runtime.backend.DeviceKernel;
import org.lte4j.runtime.backend.ProfileRecord;

/** With profiling on, every copy and launch leaves one record with a device time; off, none. */
class OpenClProfilingTest {

    @Test
    void recordsEachCopyAndLaunchInOrder() {
        try (OpenClBackend backend = OpenClTestDevice.backend()) {
            OpenClDevice device = backend.device(0);
            int n = 1 << 20;
            FloatArray x = new FloatArray(n);
            FloatArray y = new FloatArray(n);
            x.fill(1f);
            try (DeviceKernel saxpy = device.build(HandWrittenKernels.SAXPY);
                 DeviceBuffer dx = device.allocate(x); DeviceBuffer dy = device.allocate(y)) {
                device.copyToDevice(dx, x); // before profiling: not recorded
                device.synchronize();
                device.setProfiling(true);
                device.copyToDevice(dy, y);
                device.launch(saxpy, new Object[] {3f, dx, dy, n}, null, WorkerGrid.of(4096, 64));
                device.copyToHost(y, dy);
                device.synchronize();
                List<ProfileRecord> records = device.takeProfile();
                assertEquals(List.of(ProfileRecord.Kind.COPY_TO_DEVICE, ProfileRecord.Kind.KERNEL,
                        ProfileRecord.Kind.COPY_TO_HOST), records.stream().map(ProfileRecord::kind).toList());
                assertEquals(List.of(y.toString(), "saxpy", y.toString()),
                        records.stream().map(ProfileRecord::label).toList());
                assertEquals(List.of(y.byteSize(), 0L, y.byteSize()), records.stream().map(ProfileRecord::bytes).toList());
                for (ProfileRecord r : records) {
                    assertTrue(r.deviceNanos() > 0, r::toString);
                }
                assertEquals(3f, y.get(n - 1));
                assertTrue(device.takeProfile().isEmpty(), "records are cleared once taken");

                device.setProfiling(false);
                device.launch(saxpy, new Object[] {3f, dx, dy, n}, null, WorkerGrid.of(4096, 64));
                device.synchronize();
                assertTrue(device.takeProfile().isEmpty(), "no records while profiling is off");
            }
        }
    }
}
