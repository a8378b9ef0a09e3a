package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NAME;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ACCELERATOR;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_CPU;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_GPU;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VENDOR;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VERSION;
import static org.lwjgl.opencl.CL10.CL_DRIVER_VERSION;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_NAME;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_VERSION;

/**
 * What lte4j needs to know about one OpenCL device, read once at discovery.
 *
 * @param platformId   the cl_platform_id
 * @param deviceId     the cl_device_id
 * @param type         CL_DEVICE_TYPE: CPU, GPU or ACCELERATOR (FPGAs and other boards), else OTHER
 * @param version      CL_DEVICE_VERSION, e.g. {@code OpenCL 3.0 PoCL ...}
 * @param maxAllocBytes CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest single buffer
 */
public record OpenClDeviceInfo(long platformId, long deviceId, Type type, String name, String platformName,
                               String platformVersion, String vendor, String version, String driverVersion,
                               int computeUnits, long globalMemoryBytes, long maxAllocBytes, long localMemoryBytes,
                               int maxWorkGroupSize) {

    static OpenClDeviceInfo read(long platform, long device) {
        return new OpenClDeviceInfo(platform, device,
                Type.of(OpenClInfo.deviceUlong(device, CL_DEVICE_TYPE, "CL_DEVICE_TYPE")),
                OpenClInfo.deviceString(device, CL_DEVICE_NAME, "CL_DEVICE_NAME"),
                OpenClInfo.platformString(platform, CL_PLATFORM_NAME, "CL_PLATFORM_NAME"),
                OpenClInfo.platformString(platform, CL_PLATFORM_VERSION, "CL_PLATFORM_VERSION"),
                OpenClInfo.deviceString(device, CL_DEVICE_VENDOR, "CL_DEVICE_VENDOR"),
                OpenClInfo.deviceString(device, CL_DEVICE_VERSION, "CL_DEVICE_VERSION"),
                OpenClInfo.deviceString(device, CL_DRIVER_VERSION, "CL_DRIVER_VERSION"),
                OpenClInfo.deviceUint(device, CL_DEVICE_MAX_COMPUTE_UNITS, "CL_DEVICE_MAX_COMPUTE_UNITS"),
                OpenClInfo.deviceUlong(device, CL_DEVICE_GLOBAL_MEM_SIZE, "CL_DEVICE_GLOBAL_MEM_SIZE"),
                OpenClInfo.deviceUlong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
                OpenClInfo.deviceUlong(device, CL_DEVICE_LOCAL_MEM_SIZE, "CL_DEVICE_LOCAL_MEM_SIZE"),
                (int) Math.min(Integer.MAX_VALUE,
                        OpenClInfo.deviceSize(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, "CL_DEVICE_MAX_WORK_GROUP_SIZE")));
    }

    /** The kinds of OpenCL device, as CL_DEVICE_TYPE reports them. */
    public enum Type {
        CPU, GPU, ACCELERATOR, OTHER;

        static Type of(long bits) {
            if ((bits & CL_DEVICE_TYPE_GPU) != 0) {
                return GPU;
            }
            if ((bits & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
                return ACCELERATOR;
            }
            return (bits & CL_DEVICE_TYPE_CPU) != 0 ? CPU : OTHER;
        }
    }

    /** Human-readable byte count, e.g. {@code 1.5 GiB}. */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format("%.1f %s", v, units[u]);
    }
}
