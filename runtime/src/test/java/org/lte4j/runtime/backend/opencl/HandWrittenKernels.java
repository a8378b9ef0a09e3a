package org.lte4j.runtime.backend.opencl;

import java.util.List;
import java.util.OptionalInt;

import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;
import org.lte4j.runtime.compiler.Target;

/** OpenCL C written by hand, standing in for the compiler's output, with the interface the compiler would report. */
final class HandWrittenKernels {
    private HandWrittenKernels() {
    }

    static GeneratedKernel kernel(String entry, String source, boolean usesContext, ParamKind... params) {
        return new GeneratedKernel(entry, source, Target.OPENCL_C, List.of(params), OptionalInt.empty(), usesContext,
                source.contains("barrier("), "hand-written-" + entry + "-" + Integer.toHexString(source.hashCode()));
    }

    /** y = alpha * x + y as a grid-stride loop; Java signature (float alpha, FloatArray x, FloatArray y, int n). */
    static final GeneratedKernel SAXPY = kernel("saxpy", """
            __kernel void saxpy(float alpha, __global const float* x, __global float* y, int n) {
                for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
                    y[i] = alpha * x[i] + y[i];
                }
            }
            """, false, ParamKind.FLOAT, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT);

    /**
     * One partial sum per work-group through local memory and barriers; Java signature
     * (FloatArray in, FloatArray partial, int n, KernelContext ctx). Work-groups of at most 128.
     */
    static final GeneratedKernel REDUCE_SUM = kernel("reduceSum", """
            __kernel void reduceSum(__global const float* in, __global float* partial, int n) {
                __local float scratch[128];
                int lid = get_local_id(0);
                float acc = 0.0f;
                for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
                    acc += in[i];
                }
                scratch[lid] = acc;
                barrier(CLK_LOCAL_MEM_FENCE);
                for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
                    if (lid < s) {
                        scratch[lid] += scratch[lid + s];
                    }
                    barrier(CLK_LOCAL_MEM_FENCE);
                }
                if (lid == 0) {
                    partial[get_group_id(0)] = scratch[0];
                }
            }
            """, true, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT, ParamKind.CONTEXT);

    /** Writes each scalar kind back so the ABI (order, widths, boolean as int) can be checked. */
    static final GeneratedKernel SCALARS = kernel("scalars", """
            #pragma OPENCL EXTENSION cl_khr_fp64 : enable
            __kernel void scalars(__global float* out, int a, long b, float c, double d, int flag, __global int* ints) {
                if (get_global_id(0) == 0) {
                    out[0] = (float) a;
                    out[1] = (float) b;
                    out[2] = c;
                    out[3] = (float) d;
                    out[4] = (float) flag;
                    ints[0] = a;
                    ints[1] = (int) (b >> 32);
                }
            }
            """, false, ParamKind.FLOAT_ARRAY, ParamKind.INT, ParamKind.LONG, ParamKind.FLOAT, ParamKind.DOUBLE,
            ParamKind.BOOLEAN, ParamKind.INT_ARRAY);

    /** out[i] = half[i] + byte[i]: fp16 and int8 buffers. Java (HalfArray h, ByteArray b, FloatArray out, int n). */
    static final GeneratedKernel HALF_PLUS_BYTE = kernel("halfPlusByte", """
            __kernel void halfPlusByte(__global const half* h, __global const char* b, __global float* out, int n) {
                for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
                    out[i] = vload_half(i, h) + (float) b[i];
                }
            }
            """, false, ParamKind.HALF_ARRAY, ParamKind.BYTE_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT);

    /** out[y * w + x] = x * 1000 + y over a 2-D grid. Java (IntArray out, int w, KernelContext ctx). */
    static final GeneratedKernel INDEX_2D = kernel("index2d", """
            __kernel void index2d(__global int* out, int w) {
                int x = get_global_id(0);
                int y = get_global_id(1);
                out[y * w + x] = x * 1000 + y;
            }
            """, true, ParamKind.INT_ARRAY, ParamKind.INT, ParamKind.CONTEXT);
}
