package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.nclGetDeviceInfo;
import static org.lwjgl.opencl.CL10.nclGetPlatformInfo;

import java.nio.ByteBuffer;

import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/** Typed reads of clGetPlatformInfo / clGetDeviceInfo, each call checked. */
final class OpenClInfo {
    private OpenClInfo() {
    }

    static String platformString(long platform, int param, String paramName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long sizeAddr = stack.nmalloc(8, 8);
            OpenClStatus.check(nclGetPlatformInfo(platform, param, 0, 0, sizeAddr), "clGetPlatformInfo",
                    "reading " + paramName);
            long size = MemoryUtil.memGetAddress(sizeAddr);
            ByteBuffer buf = MemoryUtil.memAlloc((int) Math.max(1, size));
            try {
                OpenClStatus.check(nclGetPlatformInfo(platform, param, size, MemoryUtil.memAddress(buf), 0),
                        "clGetPlatformInfo", "reading " + paramName);
                return cString(buf, size);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    static String deviceString(long device, int param, String paramName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long sizeAddr = stack.nmalloc(8, 8);
            OpenClStatus.check(nclGetDeviceInfo(device, param, 0, 0, sizeAddr), "clGetDeviceInfo",
                    "reading " + paramName);
            long size = MemoryUtil.memGetAddress(sizeAddr);
            ByteBuffer buf = MemoryUtil.memAlloc((int) Math.max(1, size));
            try {
                OpenClStatus.check(nclGetDeviceInfo(device, param, size, MemoryUtil.memAddress(buf), 0),
                        "clGetDeviceInfo", "reading " + paramName);
                return cString(buf, size);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    /** A cl_uint device property. */
    static int deviceUint(long device, int param, String paramName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long addr = stack.nmalloc(4, 4);
            OpenClStatus.check(nclGetDeviceInfo(device, param, 4, addr, 0), "clGetDeviceInfo", "reading " + paramName);
            return MemoryUtil.memGetInt(addr);
        }
    }

    /** A cl_ulong device property. */
    static long deviceUlong(long device, int param, String paramName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long addr = stack.nmalloc(8, 8);
            OpenClStatus.check(nclGetDeviceInfo(device, param, 8, addr, 0), "clGetDeviceInfo", "reading " + paramName);
            return MemoryUtil.memGetLong(addr);
        }
    }

    /** A size_t device property. */
    static long deviceSize(long device, int param, String paramName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long addr = stack.nmalloc(8, 8);
            OpenClStatus.check(nclGetDeviceInfo(device, param, 8, addr, 0), "clGetDeviceInfo", "reading " + paramName);
            return MemoryUtil.memGetAddress(addr);
        }
    }

    private static String cString(ByteBuffer buf, long size) {
        int n = 0;
        while (n < size && buf.get(n) != 0) {
            n++;
        }
        return MemoryUtil.memUTF8(buf, n).trim();
    }
}
