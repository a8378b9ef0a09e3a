package org.lte4j.runtime.backend.cuda;

import static org.lwjgl.cuda.NVRTC.NVRTC_SUCCESS;
import static org.lwjgl.cuda.NVRTC.nvrtcCompileProgram;
import static org.lwjgl.cuda.NVRTC.nvrtcCreateProgram;
import static org.lwjgl.cuda.NVRTC.nvrtcDestroyProgram;
import static org.lwjgl.cuda.NVRTC.nvrtcGetCUBIN;
import static org.lwjgl.cuda.NVRTC.nvrtcGetCUBINSize;
import static org.lwjgl.cuda.NVRTC.nvrtcGetErrorString;
import static org.lwjgl.cuda.NVRTC.nvrtcGetNumSupportedArchs;
import static org.lwjgl.cuda.NVRTC.nvrtcGetPTX;
import static org.lwjgl.cuda.NVRTC.nvrtcGetPTXSize;
import static org.lwjgl.cuda.NVRTC.nvrtcGetProgramLog;
import static org.lwjgl.cuda.NVRTC.nvrtcGetProgramLogSize;
import static org.lwjgl.cuda.NVRTC.nvrtcGetSupportedArchs;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.lte4j.runtime.backend.BackendException;
import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * CUDA C source -> device code with NVRTC. For an architecture NVRTC knows it emits a CUBIN (no
 * JIT at load time, no PTX-version mismatch with the driver); for a newer device it emits PTX for
 * the newest architecture it knows, which the driver JIT-compiles forward.
 */
final class NvrtcCompiler {
    /** Device code and how it was made. */
    record Binary(byte[] image, boolean cubin, String architecture) {
    }

    private final int major;
    private final int minor;
    private final int[] supportedArchitectures; // ascending, e.g. 75, 80, ..., 120

    private NvrtcCompiler(int major, int minor, int[] supportedArchitectures) {
        this.major = major;
        this.minor = minor;
        this.supportedArchitectures = supportedArchitectures;
    }

    static NvrtcCompiler create(int major, int minor) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            check(nvrtcGetNumSupportedArchs(count), "nvrtcGetNumSupportedArchs", "listing NVRTC's architectures");
            IntBuffer archs = stack.mallocInt(count.get(0));
            check(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs", "listing NVRTC's architectures");
            int[] sorted = new int[count.get(0)];
            archs.get(sorted);
            Arrays.sort(sorted);
            return new NvrtcCompiler(major, minor, sorted);
        }
    }

    String version() {
        return major + "." + minor;
    }

    /**
     * {@code sm_90} when NVRTC supports the device's compute capability, else {@code compute_XY} of
     * the newest architecture below it.
     */
    String architectureFor(int computeCapability) {
        return chooseArchitecture(computeCapability, supportedArchitectures);
    }

    static String chooseArchitecture(int computeCapability, int[] supportedAscending) {
        int best = -1;
        for (int a : supportedAscending) {
            if (a == computeCapability) {
                return "sm_" + a;
            }
            if (a < computeCapability) {
                best = a;
            }
        }
        if (best < 0) {
            throw new BackendException("NVRTC supports architectures " + Arrays.toString(supportedAscending)
                    + ", none of which runs on a device of compute capability " + computeCapability / 10 + "."
                    + computeCapability % 10 + " (the NVRTC library is too new for this GPU)");
        }
        return "compute_" + best;
    }

    /** The compile options: architecture, and fast math only when asked. */
    static List<String> options(String architecture, boolean fastMath) {
        List<String> opts = new ArrayList<>();
        opts.add("--gpu-architecture=" + architecture);
        if (fastMath) {
            opts.add("--use_fast_math");
        }
        return opts;
    }

    Binary compile(GeneratedKernel kernel, String architecture, boolean fastMath) {
        boolean wantCubin = architecture.startsWith("sm_");
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer program = stack.mallocPointer(1);
            check(nvrtcCreateProgram(program, kernel.source(), kernel.entryName() + ".cu", null, null),
                    "nvrtcCreateProgram", "creating the NVRTC program for kernel " + kernel.entryName());
            long prog = program.get(0);
            try {
                List<String> opts = options(architecture, fastMath);
                PointerBuffer optionPointers = stack.mallocPointer(opts.size());
                for (String o : opts) {
                    optionPointers.put(stack.UTF8(o));
                }
                optionPointers.flip();
                int rc = nvrtcCompileProgram(prog, optionPointers);
                if (rc != NVRTC_SUCCESS) {
                    throw new BackendException("NVRTC could not compile kernel " + kernel.entryName() + " for "
                            + architecture + " (" + nvrtcGetErrorString(rc) + "):\n" + log(prog).strip());
                }
                return wantCubin ? new Binary(cubin(prog, kernel), true, architecture)
                        : new Binary(ptx(prog, kernel), false, architecture);
            } finally {
                program.put(0, prog);
                nvrtcDestroyProgram(program);
            }
        }
    }

    private static byte[] cubin(long prog, GeneratedKernel kernel) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            check(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize", "reading the CUBIN of " + kernel.entryName());
            return copyOut(size.get(0), buf -> nvrtcGetCUBIN(prog, buf), "nvrtcGetCUBIN", kernel);
        }
    }

    private static byte[] ptx(long prog, GeneratedKernel kernel) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            check(nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize", "reading the PTX of " + kernel.entryName());
            return copyOut(size.get(0), buf -> nvrtcGetPTX(prog, buf), "nvrtcGetPTX", kernel);
        }
    }

    private interface Fill {
        int into(ByteBuffer buffer);
    }

    private static byte[] copyOut(long size, Fill fill, String call, GeneratedKernel kernel) {
        ByteBuffer buffer = MemoryUtil.memAlloc((int) size);
        try {
            check(fill.into(buffer), call, "reading the device code of " + kernel.entryName());
            byte[] out = new byte[(int) size];
            buffer.get(0, out);
            return out;
        } finally {
            MemoryUtil.memFree(buffer);
        }
    }

    private static String log(long prog) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS || size.get(0) <= 1) {
                return "(NVRTC wrote no log)";
            }
            ByteBuffer buffer = MemoryUtil.memAlloc((int) size.get(0));
            try {
                nvrtcGetProgramLog(prog, buffer);
                return MemoryUtil.memUTF8(MemoryUtil.memAddress(buffer));
            } finally {
                MemoryUtil.memFree(buffer);
            }
        }
    }

    private static void check(int rc, String call, String doing) {
        if (rc != NVRTC_SUCCESS) {
            throw new BackendException(call + " failed with " + nvrtcGetErrorString(rc) + " while " + doing);
        }
    }
}
