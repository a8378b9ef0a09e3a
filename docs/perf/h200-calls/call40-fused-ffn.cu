// The prototype that docs/perf/h200-calls/call40.sh runs (docs/PERF.md, "Seventh session of 2026-11-30").
// Build here (no GPU needed): print the two decoder kernels it compares against as CUDA C,
//   ./scripts/lte4j kernel --print Experts::normedGateUpSiluActiveF16Pairs --target cuda > gu.cu
//   ./scripts/lte4j kernel --print Experts::downActiveF16PairsFourRows --target cuda > down.cu
// then: nvcc -O3 -arch=sm_90 -o bundle/proto/proto call40-fused-ffn.cu gu.cu down.cu
// Prototype: sparse fp16 FFN gate/up + down as two kernels (the decoder's generated ones, dependent launch)
// against one persistent kernel whose groups add their down contributions into the residual by atomics.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <random>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); exit(1);} } while (0)

extern "C" __global__ void Experts_normedGateUpSiluActiveF16Pairs(int*, int*, float*, float*, int, int, float, int*, int*, float*, int, int);
extern "C" __global__ void Experts_downActiveF16PairsFourRows(int*, float*, int*, int*, float*, int, int, int, int);

__device__ __forceinline__ float lo(int w) { return __half2float(__ushort_as_half((unsigned short) w)); }
__device__ __forceinline__ float hi(int w) { return __half2float(__ushort_as_half((unsigned short) ((unsigned) w >> 16))); }
__device__ __forceinline__ void await_prev() {
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}

// sum four values across the group through shared memory (tree, as GroupReduce)
template <int L>
__device__ __forceinline__ void reduce4(float* s, float& a, float& b, float& c, float& d) {
    int t = threadIdx.x;
    s[t] = a; s[L + t] = b; s[2 * L + t] = c; s[3 * L + t] = d;
    __syncthreads();
    for (int h = L / 2; h > 0; h >>= 1) {
        if (t < h) { s[t] += s[t + h]; s[L + t] += s[L + t + h]; s[2 * L + t] += s[2 * L + t + h]; s[3 * L + t] += s[3 * L + t + h]; }
        __syncthreads();
    }
    a = s[0]; b = s[L]; c = s[2 * L]; d = s[3 * L];
    __syncthreads();
}
// warp-shuffle then shared
template <int L>
__device__ __forceinline__ void reduce4shfl(float* s, float& a, float& b, float& c, float& d) {
    for (int o = 16; o > 0; o >>= 1) {
        a += __shfl_xor_sync(0xffffffff, a, o); b += __shfl_xor_sync(0xffffffff, b, o);
        c += __shfl_xor_sync(0xffffffff, c, o); d += __shfl_xor_sync(0xffffffff, d, o);
    }
    int w = threadIdx.x / 32, ln = threadIdx.x % 32;
    if (ln == 0) { s[w] = a; s[32 + w] = b; s[64 + w] = c; s[96 + w] = d; }
    __syncthreads();
    a = 0; b = 0; c = 0; d = 0;
    for (int i = 0; i < L / 32; i++) { a += s[i]; b += s[32 + i]; c += s[64 + i]; d += s[96 + i]; }
    __syncthreads();
}

// Persistent: group g takes units (neuron pairs of listed experts) g, g + G, ...; keeps dim/L... outputs per item
// in registers; adds them into out at the end. downT: [ffnDim][dim] halves, pairs of outputs per word.
template <int L, bool SHFL>
__global__ void __launch_bounds__(L) fused(const int* __restrict__ gate, const int* __restrict__ up, const float* __restrict__ x,
        const int* __restrict__ ids, const int* __restrict__ count, const int* __restrict__ downT, float* out, int dim, int expertSize, float scale) {
    __shared__ float s[4 * L];
    constexpr int W = 2048 / L; // words per item per row (dim 4096)
    int t = threadIdx.x;
    int words = dim / 2;
    int ppe = expertSize / 2;
    float acc[2 * W];
#pragma unroll
    for (int k = 0; k < 2 * W; k++) acc[k] = 0.f;
    await_prev();
    int units = count[0] * ppe;
    for (int u = blockIdx.x; u < units; u += gridDim.x) {
        int slot = u / ppe;
        int n0 = ids[slot] * expertSize + 2 * (u - slot * ppe);
        const int* g0 = gate + (long long) n0 * words; const int* g1 = g0 + words;
        const int* u0 = up + (long long) n0 * words; const int* u1 = u0 + words;
        const int* d0 = downT + (long long) n0 * words; const int* d1 = d0 + words;
        int dw0[W], dw1[W];
#pragma unroll
        for (int k = 0; k < W; k++) { dw0[k] = d0[t + k * L]; dw1[k] = d1[t + k * L]; }
        float sg0 = 0, sg1 = 0, su0 = 0, su1 = 0;
#pragma unroll
        for (int k = 0; k < W; k++) {
            int j = t + k * L;
            int a = g0[j], b = g1[j], c = u0[j], d = u1[j];
            float xa = x[2 * j], xb = x[2 * j + 1];
            sg0 += lo(a) * xa + hi(a) * xb; sg1 += lo(b) * xa + hi(b) * xb;
            su0 += lo(c) * xa + hi(c) * xb; su1 += lo(d) * xa + hi(d) * xb;
        }
        if (SHFL) reduce4shfl<L>(s, sg0, sg1, su0, su1); else reduce4<L>(s, sg0, sg1, su0, su1);
        float ga = sg0 * scale, gb = sg1 * scale;
        float h0 = ga / (1.f + expf(-ga)) * su0 * scale;
        float h1 = gb / (1.f + expf(-gb)) * su1 * scale;
#pragma unroll
        for (int k = 0; k < W; k++) {
            acc[2 * k] += h0 * lo(dw0[k]) + h1 * lo(dw1[k]);
            acc[2 * k + 1] += h0 * hi(dw0[k]) + h1 * hi(dw1[k]);
        }
    }
    if (blockIdx.x < units) {
#pragma unroll
        for (int k = 0; k < W; k++) {
            int j = t + k * L;
            atomicAdd(out + 2 * j, acc[2 * k]);
            atomicAdd(out + 2 * j + 1, acc[2 * k + 1]);
        }
    }
}

// G groups each adding dim floats into out.
__global__ void atomics(float* out, int dim) {
    await_prev();
    for (int j = threadIdx.x; j < dim; j += blockDim.x) atomicAdd(out + j, 1.0f);
}

template <typename F>
void launch(cudaStream_t st, F kernel, int grid, int block, bool pdl, void** args) {
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(grid); cfg.blockDim = dim3(block); cfg.stream = st;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at; cfg.numAttrs = pdl ? 1 : 0;
    CK(cudaLaunchKernelExC(&cfg, (const void*) kernel, args));
}

int main(int argc, char** argv) {
    const int dim = 4096, ffn = 11008, E = 32, experts = ffn / E, layers = 8, reps = 41;
    const int slices = 8; const float eps = 1e-5f;
    size_t mw = (size_t) ffn * dim / 2; // words per matrix
    std::vector<int*> gate(layers), up(layers), down(layers), downT(layers);
    std::mt19937 rng(5);
    std::vector<unsigned short> hbuf(mw * 2);
    std::normal_distribution<float> nd(0.f, 0.02f);
    for (auto& v : hbuf) v = __half_as_ushort(__float2half(nd(rng)));
    std::vector<unsigned short> hT(mw * 2);
    for (int r = 0; r < dim; r++) for (int c = 0; c < ffn; c++) hT[(size_t) c * dim + r] = hbuf[(size_t) r * ffn + c];
    for (int l = 0; l < layers; l++) {
        CK(cudaMalloc(&gate[l], mw * 4)); CK(cudaMalloc(&up[l], mw * 4)); CK(cudaMalloc(&down[l], mw * 4)); CK(cudaMalloc(&downT[l], mw * 4));
        CK(cudaMemcpy(gate[l], hbuf.data() + (l % 3) * 7, mw * 4, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(up[l], hbuf.data() + (l % 5) * 3, mw * 4, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(down[l], hbuf.data(), mw * 4, cudaMemcpyHostToDevice));   // [dim][ffn]
        CK(cudaMemcpy(downT[l], hT.data(), mw * 4, cudaMemcpyHostToDevice));    // its transpose
    }
    std::vector<float> hx(dim); for (auto& v : hx) v = nd(rng) * 50;
    std::vector<float> hz(slices * (experts + 1), 0.f); for (int s = 0; s < slices; s++) hz[slices * experts + s] = dim / (float) slices;
    float *x, *z, *hidden, *out1, *out2; int *ids, *count;
    CK(cudaMalloc(&x, dim * 4)); CK(cudaMalloc(&z, hz.size() * 4)); CK(cudaMalloc(&hidden, ffn * 4));
    CK(cudaMalloc(&out1, dim * 4)); CK(cudaMalloc(&out2, dim * 4)); CK(cudaMalloc(&ids, experts * 4)); CK(cudaMalloc(&count, 4));
    CK(cudaMemcpy(x, hx.data(), dim * 4, cudaMemcpyHostToDevice)); CK(cudaMemcpy(z, hz.data(), hz.size() * 4, cudaMemcpyHostToDevice));
    float scale = 1.0f / sqrtf(1.0f + eps);
    cudaStream_t st; CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    auto timeGraph = [&](auto record) {
        cudaGraph_t g; cudaGraphExec_t ge;
        CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal)); record(); CK(cudaStreamEndCapture(st, &g));
        CK(cudaGraphInstantiate(&ge, g, 0));
        std::vector<float> ms;
        for (int r = 0; r < reps; r++) {
            CK(cudaEventRecord(e0, st)); CK(cudaGraphLaunch(ge, st)); CK(cudaEventRecord(e1, st)); CK(cudaEventSynchronize(e1));
            float t; CK(cudaEventElapsedTime(&t, e0, e1)); ms.push_back(t);
        }
        std::sort(ms.begin(), ms.end());
        CK(cudaGraphExecDestroy(ge)); CK(cudaGraphDestroy(g));
        return ms[reps / 2] * 1000.f / layers; // us per layer
    };
    // atomics alone
    for (int G : {132, 264, 528, 1056}) {
        float us = timeGraph([&] { for (int l = 0; l < layers; l++) { int d = dim; void* b[] = {&out2, &d}; launch(st, atomics, G, 256, true, b); } });
        printf("atomics: %d groups x %d adds: %.2f us per launch (%.0f G adds/s)\n", G, dim, us, G * (double) dim / us / 1e3);
    }
    for (float sparsity : {0.0f, 0.5f, 0.8f}) {
        std::vector<int> all(experts); for (int i = 0; i < experts; i++) all[i] = i;
        std::shuffle(all.begin(), all.end(), rng);
        int n = (int) (experts * (1 - sparsity) + 0.5f);
        std::vector<int> list(all.begin(), all.begin() + n); std::sort(list.begin(), list.end());
        CK(cudaMemcpy(ids, list.data(), n * 4, cudaMemcpyHostToDevice)); CK(cudaMemcpy(count, &n, 4, cudaMemcpyHostToDevice));
        int L = 256; int ex = experts, es = E, dm = dim, ff = ffn, sl = slices, adding = 1; float ep = eps;
        // reference pair: two kernels
        CK(cudaMemset(out1, 0, dim * 4));
        auto two = [&](int l) {
            void* a[] = {&gate[l], &up[l], &x, &z, &sl, &ex, &ep, &ids, &count, &hidden, &dm, &es};
            launch(st, Experts_normedGateUpSiluActiveF16Pairs, experts * E / 2, L, true, a);
            void* b[] = {&down[l], &hidden, &ids, &count, &out1, &adding, &dm, &ff, &es};
            launch(st, Experts_downActiveF16PairsFourRows, (dim + 3) / 4, L, true, b);
        };
        two(0); CK(cudaStreamSynchronize(st));
        std::vector<float> r1(dim); CK(cudaMemcpy(r1.data(), out1, dim * 4, cudaMemcpyDeviceToHost));
        float tTwo = timeGraph([&] { for (int l = 0; l < layers; l++) two(l); });
        printf("sparsity %.1f (%d experts): two kernels %.1f us/layer\n", sparsity, n, tTwo);
        auto run = [&](auto kern, int G, int Lf, int l) {
            void* a[] = {&gate[l], &up[l], &x, &ids, &count, &downT[l], &out2, &dm, &es, &scale};
            launch(st, kern, G, Lf, true, a);
        };
        struct V { const char* name; void (*k)(const int*, const int*, const float*, const int*, const int*, const int*, float*, int, int, float); int L; };
        V vs[] = {{"tree L256", fused<256, false>, 256}, {"shfl L256", fused<256, true>, 256}, {"shfl L128", fused<128, true>, 128}, {"shfl L512", fused<512, true>, 512}};
        for (auto& v : vs) {
            for (int G : {132, 264, 396, 528}) {
                CK(cudaMemset(out2, 0, dim * 4)); run(v.k, G, v.L, 0); CK(cudaStreamSynchronize(st));
                std::vector<float> r2(dim); CK(cudaMemcpy(r2.data(), out2, dim * 4, cudaMemcpyDeviceToHost));
                double err = 0, mx = 0; for (int i = 0; i < dim; i++) { err = std::max(err, (double) fabsf(r1[i] - r2[i])); mx = std::max(mx, (double) fabsf(r1[i])); }
                float t = timeGraph([&] { for (int l = 0; l < layers; l++) run(v.k, G, v.L, l); });
                printf("  fused %s G=%d: %.1f us/layer (%.3fx of two), max err %.2e of %.2e\n", v.name, G, t, t / tTwo, err, mx);
            }
        }
    }
    return 0;
}
