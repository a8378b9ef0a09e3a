package org.lte4j.runtime.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_PROGRAM_BINARIES;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BINARY_SIZES;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BUILD_LOG;
import static org.lwjgl.opencl.CL10.clBuildProgram;
import static org.lwjgl.opencl.CL10.clReleaseProgram;
import static org.lwjgl.opencl.CL10.nclCreateProgramWithBinary;
import static org.lwjgl.opencl.CL10.nclCreateProgramWithSource;
import static org.lwjgl.opencl.CL10.nclGetProgramBuildInfo;
import static org.lwjgl.opencl.CL10.nclGetProgramInfo;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.lte4j.runtime.backend.BackendException;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/** Creating and building cl_programs from source or binary, and reading a built program's binary. */
final class OpenClPrograms {
    /**
     * The line number in a diagnostic line that mentions an error, as drivers print them:
     * {@code <source>:12:5: error: ...} (clang-based: Intel, AMD), {@code error: /tmp/x.cl:12:5: ...}
     * (PoCL), {@code <kernel>:12:5: error: ...} (NVIDIA).
     */
    private static final Pattern ERROR_LINE = Pattern.compile("(?m)^(?=.*\\berror\\b)[^\\n]*?:(\\d+):\\d+:");
    private static final int CONTEXT_LINES = 2;
    private static final int MAX_EXCERPTS = 6;

    private OpenClPrograms() {
    }

    /** Builds {@code source} for one device; on failure the exception holds the build log and the source around each error. */
    static long fromSource(long context, long device, String source, String options, String what) {
        long program;
        ByteBuffer text = MemoryUtil.memUTF8(source, false); // sources outgrow the 64 KiB stack
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long strings = stack.nmalloc(8, 8);
            long lengths = stack.nmalloc(8, 8);
            long err = stack.nmalloc(4, 4);
            MemoryUtil.memPutAddress(strings, MemoryUtil.memAddress(text));
            MemoryUtil.memPutAddress(lengths, text.remaining());
            program = nclCreateProgramWithSource(context, 1, strings, lengths, err);
            OpenClStatus.check(MemoryUtil.memGetInt(err), "clCreateProgramWithSource", "creating the program for " + what);
        } finally {
            MemoryUtil.memFree(text);
        }
        build(program, device, options, what, source);
        return program;
    }

    /** Loads a binary made by this driver (or a vendor's offline compiler) and builds (links) it. */
    static long fromBinary(long context, long device, byte[] binary, String options, String what) {
        long program;
        ByteBuffer bytes = MemoryUtil.memAlloc(Math.max(1, binary.length));
        try (MemoryStack stack = MemoryStack.stackPush()) {
            bytes.put(binary).flip();
            long devices = stack.nmalloc(8, 8);
            long lengths = stack.nmalloc(8, 8);
            long binaries = stack.nmalloc(8, 8);
            long status = stack.nmalloc(4, 4);
            long err = stack.nmalloc(4, 4);
            MemoryUtil.memPutAddress(devices, device);
            MemoryUtil.memPutAddress(lengths, binary.length);
            MemoryUtil.memPutAddress(binaries, MemoryUtil.memAddress(bytes));
            program = nclCreateProgramWithBinary(context, 1, devices, lengths, binaries, status, err);
            int code = MemoryUtil.memGetInt(err);
            if (code != 0) {
                throw OpenClStatus.failure(code, "clCreateProgramWithBinary", "loading the binary of " + what
                        + " (binary status " + OpenClStatus.describe(MemoryUtil.memGetInt(status)) + ")");
            }
        } finally {
            MemoryUtil.memFree(bytes);
        }
        build(program, device, options, what, null);
        return program;
    }

    /** The device binary of a built program (CL_PROGRAM_BINARIES). */
    static byte[] binaryOf(long program, String what) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long sizeAddr = stack.nmalloc(8, 8);
            OpenClStatus.check(nclGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, 8, sizeAddr, 0), "clGetProgramInfo",
                    "reading CL_PROGRAM_BINARY_SIZES of " + what);
            long size = MemoryUtil.memGetAddress(sizeAddr);
            if (size <= 0 || size > Integer.MAX_VALUE - 16) {
                throw new BackendException("the driver reports a program binary of " + size + " bytes for " + what);
            }
            ByteBuffer buf = MemoryUtil.memAlloc((int) size);
            try {
                long ptrs = stack.nmalloc(8, 8);
                MemoryUtil.memPutAddress(ptrs, MemoryUtil.memAddress(buf));
                OpenClStatus.check(nclGetProgramInfo(program, CL_PROGRAM_BINARIES, 8, ptrs, 0), "clGetProgramInfo",
                        "reading CL_PROGRAM_BINARIES of " + what);
                byte[] out = new byte[(int) size];
                buf.get(0, out);
                return out;
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    private static void build(long program, long device, String options, String what, String source) {
        int code;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            code = clBuildProgram(program, stack.pointers(device), options, null, 0);
        }
        if (code == 0) {
            return;
        }
        String log = buildLog(program, device);
        clReleaseProgram(program);
        StringBuilder msg = new StringBuilder()
                .append("clBuildProgram failed with ").append(OpenClStatus.describe(code))
                .append(" while building ").append(what).append(options.isEmpty() ? "" : " with options '" + options + "'")
                .append("\n--- build log ---\n").append(log.isBlank() ? "(empty)" : log.strip());
        if (source != null) {
            String excerpt = sourceAroundErrors(source, log);
            msg.append("\n--- generated source around the errors ---\n")
                    .append(excerpt.isEmpty() ? numbered(source, 1, Math.min(40, source.lines().count()), -1) : excerpt);
        }
        throw new BackendException(msg.toString());
    }

    private static String buildLog(long program, long device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long sizeAddr = stack.nmalloc(8, 8);
            if (nclGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, 0, sizeAddr) != 0) {
                return "(the driver gave no build log)";
            }
            long size = MemoryUtil.memGetAddress(sizeAddr);
            ByteBuffer buf = MemoryUtil.memAlloc((int) Math.max(1, size));
            try {
                if (nclGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, MemoryUtil.memAddress(buf), 0) != 0) {
                    return "(the driver gave no build log)";
                }
                int n = 0;
                while (n < size && buf.get(n) != 0) {
                    n++;
                }
                return MemoryUtil.memUTF8(buf, n);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    /** Numbered source lines around each line the log reports an error on, the error line marked with '>'. */
    static String sourceAroundErrors(String source, String log) {
        TreeSet<Integer> errorLines = new TreeSet<>();
        Matcher m = ERROR_LINE.matcher(log);
        while (m.find() && errorLines.size() < MAX_EXCERPTS) {
            errorLines.add(Integer.parseInt(m.group(1)));
        }
        long total = source.lines().count();
        List<String> parts = new ArrayList<>();
        for (int line : errorLines) {
            if (line < 1 || line > total) {
                continue;
            }
            parts.add(numbered(source, Math.max(1, line - CONTEXT_LINES), Math.min(total, line + CONTEXT_LINES), line));
        }
        return String.join("...\n", parts);
    }

    private static String numbered(String source, long from, long to, int marked) {
        StringBuilder sb = new StringBuilder();
        List<String> lines = source.lines().toList();
        for (long i = from; i <= to; i++) {
            sb.append(i == marked ? "> " : "  ").append(String.format("%4d | ", i)).append(lines.get((int) i - 1)).append('\n');
        }
        return sb.toString();
    }
}
