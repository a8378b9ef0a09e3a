package org.lte4j.runtime.compiler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Small C functions the generated code calls where C and Java disagree (float-to-int saturation,
 * Math.min/max NaN and signed-zero rules, Math.round) or where a dialect lacks an operation (fp16
 * bit conversions, float atomics on OpenCL). Only the ones a kernel uses are emitted.
 */
final class CSupport {
    private CSupport() {
    }

    /** Dependencies between support functions: key needs values (emitted first). */
    private static final Map<String, List<String>> NEEDS = Map.of(
            "lte_byte_half", List.of("lte_h2f"),
            "lte_roundf", List.of("lte_f2i"),
            "lte_round", List.of("lte_d2l"));

    private static final List<String> ORDER = List.of("lte_f2i", "lte_f2l", "lte_d2i", "lte_d2l", "lte_fmin", "lte_fmax",
            "lte_dmin", "lte_dmax", "lte_roundf", "lte_round", "lte_f2h", "lte_h2f", "lte_byte_half", "lte_ctz", "lte_ctzl", "lte_dot4",
            "lte_atomic_add_float", "lte_imin", "lte_imax", "lte_lmin", "lte_lmax", "lte_iabs", "lte_labs",
            "lte_prefetch_l2", "lte_await_preceding");

    static String emit(Set<String> used, Target target) {
        Map<String, Boolean> all = new LinkedHashMap<>();
        for (String u : used) close(u, all);
        StringBuilder b = new StringBuilder();
        for (String name : ORDER) {
            if (all.containsKey(name)) {
                b.append(source(name, target)).append('\n');
            }
        }
        return b.toString();
    }

    private static void close(String name, Map<String, Boolean> all) {
        if (all.put(name, true) == null) {
            NEEDS.getOrDefault(name, List.of()).forEach(n -> close(n, all));
        }
    }

    private static String source(String name, Target t) {
        boolean cl = t == Target.OPENCL_C;
        String q = cl ? "static inline" : "static __device__ __forceinline__";
        String lng = cl ? "long" : "long long";
        String asInt = cl ? "as_int" : "__float_as_int";
        String asUint = cl ? "as_uint" : "__float_as_uint";
        String asFloat = cl ? "as_float" : "__int_as_float";
        String asFloatU = cl ? "as_float" : "__uint_as_float";
        String asLong = cl ? "as_long" : "__double_as_longlong";
        String asDouble = cl ? "as_double" : "__longlong_as_double";
        String floorF = cl ? "floor" : "floorf";
        String lsuf = cl ? "L" : "LL";
        String s = switch (name) {
            case "lte_f2i" -> """
                    /* (int) x with Java semantics: NaN -> 0, out of range saturates. */
                    Q int lte_f2i(float x) { return x != x ? 0 : x >= 2147483648.0f ? 2147483647 : x <= -2147483648.0f ? (-2147483647 - 1) : (int) x; }
                    """;
            case "lte_f2l" -> """
                    Q LONG lte_f2l(float x) { return x != x ? 0 : x >= 9223372036854775808.0f ? 9223372036854775807LS : x <= -9223372036854775808.0f ? (-9223372036854775807LS - 1) : (LONG) x; }
                    """;
            case "lte_d2i" -> """
                    Q int lte_d2i(double x) { return x != x ? 0 : x >= 2147483647.0 ? 2147483647 : x <= -2147483648.0 ? (-2147483647 - 1) : (int) x; }
                    """;
            case "lte_d2l" -> """
                    Q LONG lte_d2l(double x) { return x != x ? 0 : x >= 9223372036854775808.0 ? 9223372036854775807LS : x <= -9223372036854775808.0 ? (-9223372036854775807LS - 1) : (LONG) x; }
                    """;
            case "lte_fmin" -> """
                    /* Math.min/max: NaN wins, and -0.0 < +0.0. */
                    Q float lte_fmin(float a, float b) { if (a != a) return a; if (b != b) return b; if (a == b) return ASFLOAT(ASINT(a) | ASINT(b)); return a < b ? a : b; }
                    """;
            case "lte_fmax" -> """
                    Q float lte_fmax(float a, float b) { if (a != a) return a; if (b != b) return b; if (a == b) return ASFLOAT(ASINT(a) & ASINT(b)); return a > b ? a : b; }
                    """;
            case "lte_dmin" -> """
                    Q double lte_dmin(double a, double b) { if (a != a) return a; if (b != b) return b; if (a == b) return ASDOUBLE(ASLONG(a) | ASLONG(b)); return a < b ? a : b; }
                    """;
            case "lte_dmax" -> """
                    Q double lte_dmax(double a, double b) { if (a != a) return a; if (b != b) return b; if (a == b) return ASDOUBLE(ASLONG(a) & ASLONG(b)); return a > b ? a : b; }
                    """;
            case "lte_roundf" -> """
                    /* Math.round(float): nearest int, ties up, NaN -> 0, saturating. */
                    Q int lte_roundf(float x) { float f = FLOORF(x); int r = lte_f2i(f); return (x - f >= 0.5f && r != 2147483647) ? r + 1 : r; }
                    """;
            case "lte_round" -> """
                    Q LONG lte_round(double x) { double f = floor(x); LONG r = lte_d2l(f); return (x - f >= 0.5 && r != 9223372036854775807LS) ? r + 1 : r; }
                    """;
            case "lte_f2h" -> cl ? """
                    /* Float.floatToFloat16: binary16 bits (as a sign-extended short), round to nearest even. */
                    Q int lte_f2h(float f) {
                        uint x = ASUINT(f);
                        uint sign = (x >> 16) & 0x8000u;
                        uint a = x & 0x7fffffffu;
                        uint h;
                        if (a > 0x7f800000u) {
                            h = 0x7c00u | ((a & 0x7fe000u) >> 13) | ((a & 0x1ff0u) >> 4) | (a & 0xfu); /* NaN keeps its payload as Java does */
                        } else if (a >= 0x477ff000u) {
                            h = 0x7c00u; /* at or above 65520: infinity */
                        } else if (a >= 0x38800000u) {
                            h = (a >> 13) - 0x1c000u; /* normal: rebias the exponent from 127 to 15 */
                            uint rest = a & 0x1fffu;
                            if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
                        } else if (a > 0x33000000u) {
                            uint m = (a & 0x7fffffu) | 0x800000u; /* subnormal half */
                            uint sh = 126u - (a >> 23);
                            uint rest = m & ((1u << sh) - 1u);
                            uint halfway = 1u << (sh - 1u);
                            h = m >> sh;
                            if (rest > halfway || (rest == halfway && (h & 1u))) h++;
                        } else {
                            h = 0u;
                        }
                        return (int) (short) (sign | h);
                    }
                    """ : """
                    /* Float.floatToFloat16 through the hardware conversion (round to nearest even). */
                    Q int lte_f2h(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return (int) (short) h; }
                    """;
            case "lte_h2f" -> cl ? """
                    /* Float.float16ToFloat of the low 16 bits: vload_half is exact and, unlike bit
                       manipulation, maps to the device's conversion instruction, except on x86 CPUs
                       (PoCL), where it is a software conversion of about twenty instructions: there
                       the F16C instruction, exact too, takes its place. */
                    #if defined(__x86_64__) && defined(__F16C__)
                    typedef short lte_v8hi __attribute__((__vector_size__(16)));
                    Q float lte_h2f(int bits) { lte_v8hi h = {(short) bits, 0, 0, 0, 0, 0, 0, 0}; return __builtin_ia32_vcvtph2ps(h)[0]; }
                    #else
                    Q float lte_h2f(int bits) { ushort h = (ushort) bits; return vload_half(0, (const __private half*) &h); }
                    #endif
                    """ : """
                    /* Float.float16ToFloat of the low 16 bits, through the hardware conversion. */
                    Q float lte_h2f(int bits) { float f; unsigned short h = (unsigned short) bits; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
                    """;
            case "lte_byte_half" -> cl ? """
                    /* ByteArray.getHalf: little-endian fp16 at any byte offset (no alignment needed). */
                    Q float lte_byte_half(__global const char* p, long o) { return lte_h2f((int) (uchar) p[o] | ((int) (uchar) p[o + 1] << 8)); }
                    """ : """
                    /* ByteArray.getHalf: little-endian fp16 at any byte offset (no alignment needed). */
                    Q float lte_byte_half(const signed char* p, long long o) { return lte_h2f((int) (unsigned char) p[o] | ((int) (unsigned char) p[o + 1] << 8)); }
                    """;
            case "lte_ctz" -> cl ? """
                    Q int lte_ctz(int x) { return x == 0 ? 32 : 31 - (int) clz(x & -x); }
                    """ : """
                    Q int lte_ctz(int x) { return x == 0 ? 32 : __ffs(x) - 1; }
                    """;
            case "lte_ctzl" -> cl ? """
                    Q int lte_ctzl(long x) { return x == 0 ? 64 : 63 - (int) clz(x & -x); }
                    """ : """
                    Q int lte_ctzl(long long x) { return x == 0 ? 64 : __ffsll(x) - 1; }
                    """;
            case "lte_dot4" -> """
                    /* PackedBytes.dot: the dot of the four signed bytes of a and b, one instruction where the device has it. */
                    #if defined(__opencl_c_integer_dot_product_input_4x8bit_packed)
                    Q int lte_dot4(int a, int b) { return dot_4x8packed_ss_int((uint) a, (uint) b); }
                    #else
                    Q int lte_dot4(int a, int b) {
                        return (int) (char) a * (int) (char) b + (int) (char) (a >> 8) * (int) (char) (b >> 8)
                                + (int) (char) (a >> 16) * (int) (char) (b >> 16) + (int) (char) (a >> 24) * (int) (char) (b >> 24);
                    }
                    #endif
                    """;
            case "lte_atomic_add_float" -> """
                    /* KernelContext.atomicAdd(FloatArray, ...): compare-and-swap on the int bits; returns the old value. */
                    Q float lte_atomic_add_float(volatile __global float* p, float delta) {
                        volatile __global int* bits = (volatile __global int*) p;
                        int expected = *bits;
                        int seen;
                        while ((seen = atomic_cmpxchg(bits, expected, as_int(as_float(expected) + delta))) != expected) expected = seen;
                        return as_float(expected);
                    }
                    """;
            case "lte_imin" -> "Q int lte_imin(int a, int b) { return a < b ? a : b; }\n";
            case "lte_imax" -> "Q int lte_imax(int a, int b) { return a > b ? a : b; }\n";
            case "lte_lmin" -> "Q LONG lte_lmin(LONG a, LONG b) { return a < b ? a : b; }\n";
            case "lte_lmax" -> "Q LONG lte_lmax(LONG a, LONG b) { return a > b ? a : b; }\n";
            case "lte_iabs" -> "Q int lte_iabs(int a) { return a < 0 ? -a : a; }\n";
            case "lte_labs" -> "Q LONG lte_labs(LONG a) { return a < 0 ? -a : a; }\n";
            case "lte_prefetch_l2" -> """
                    /* A cache hint for bytes [p, p + bytes) of global memory: on compute 9.0+ one bulk prefetch into L2 (its
                       range widened to the 16-byte alignment it needs), before that one prefetch per 128-byte line. */
                    Q void lte_prefetch_l2(const void* p, int bytes) {
                    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
                        unsigned long long start = (unsigned long long) p & ~15ull;
                        unsigned long long end = ((unsigned long long) p + (unsigned long long) bytes + 15ull) & ~15ull;
                        if (end > start) asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" :: "l"(start), "r"((unsigned) (end - start)) : "memory");
                    #elif defined(__CUDA_ARCH__)
                        for (int b = 0; b < bytes; b += 128) asm volatile("prefetch.global.L2 [%0];" :: "l"((const char*) p + b));
                    #endif
                    }
                    """;
            case "lte_await_preceding" -> """
                    /* Dependent launch (compute 9.0+): wait until the grid launched before this one has completed and its
                       writes are visible, then let the next grid be placed. Returns at once for a plain launch. */
                    Q void lte_await_preceding() {
                    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
                        asm volatile("griddepcontrol.wait;" ::: "memory");
                        asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
                    #endif
                    }
                    """;
            default -> throw new IllegalArgumentException(name);
        };
        return s.replace("ASUINT", asUint).replace("ASINT", asInt).replace("ASFLOATU", asFloatU).replace("ASFLOAT", asFloat)
                .replace("ASLONG", asLong).replace("ASDOUBLE", asDouble).replace("FLOORF", floorF)
                .replace("Q ", q + " ").replace("LONG", lng).replace("LS", lsuf);
    }
}
