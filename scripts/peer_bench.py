#!/usr/bin/env python3
"""What a PyTorch user gets on the same GPU, beside `lte4j bench` (docs/PERF.md, "against its peers").

Builds a random-weight Llama model of one of lte4j's synthetic presets in fp16 on the GPU, as
`lte4j bench --synthetic PRESET --dtype f16` does, and times on it:
  copy       a 1 GiB device-to-device copy, read plus written bytes: the yardstick lte4j's bench uses;
  hf-eager   Hugging Face generate, greedy, its default cache: ms per generated token;
  hf-graphs  the same with a static cache, which generate compiles (torch.compile, reduce-overhead:
             CUDA graphs) (with --compile; compiling a 7B model takes minutes);
  linear     every weight matrix of a token once as a GEMV through cuBLAS, one CUDA graph: the
             floor of a PyTorch decode of these weights;
  ffn        every layer's FFN block for one token: dense (three products), dense captured as one
             CUDA graph, and LTE-sparse as plain PyTorch writes it (router logits, the threshold,
             the active experts' rows gathered with index_select, three products over them) at each
             --sparsity, with routers whose logits are standard normal per expert, token and layer
             and the threshold at the sparsity's normal quantile, as lte4j's sparse bench sets them.
Usage: python3 scripts/peer_bench.py [--preset llama2-7b] [--tokens 32] [--sparsity 0.5,0.8] [--compile] [--json FILE]
Needs torch with CUDA and transformers; prints a table and, with --json, writes the numbers.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

# dim, FFN width, layers, heads, kv heads, vocab: lte4j's SyntheticPreset shapes (the 1B preset's
# RoPE scaling and tied output do not change what a token reads)
PRESETS = {
    "llama-110m": (768, 2048, 12, 12, 12, 32000),
    "llama3-1b": (2048, 8192, 16, 32, 8, 128256),
    "llama2-7b": (4096, 11008, 32, 32, 32, 32000),
}
EXPERT_SIZE = 32


def cuda_ms(fn, repeats):
    """Median milliseconds of fn() over repeats runs, each timed by CUDA events."""
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def copy_gbps():
    a = torch.empty(1 << 28, dtype=torch.float32, device="cuda")
    b = torch.empty_like(a)
    b.copy_(a)
    best = min(cuda_ms(lambda: b.copy_(a), 1) for _ in range(10))
    return 2 * a.numel() * 4 / best / 1e6


def model_of(preset):
    dim, ffn, layers, heads, kv_heads, vocab = PRESETS[preset]
    config = LlamaConfig(hidden_size=dim, intermediate_size=ffn, num_hidden_layers=layers, num_attention_heads=heads,
                         num_key_value_heads=kv_heads, vocab_size=vocab, max_position_embeddings=4096)
    with torch.device("cuda"):
        model = LlamaForCausalLM._from_config(config, torch_dtype=torch.float16)
    return model.eval()


def generate_ms_per_token(model, tokens):
    """(time of tokens + 1 new tokens - time of 1) / tokens: the prompt's pass cancels out."""
    ids = torch.tensor([[1]], device="cuda")

    def run(n):
        torch.cuda.synchronize()
        start = time.perf_counter()
        model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
        torch.cuda.synchronize()
        return time.perf_counter() - start

    run(4)
    run(4)
    long = statistics.median(run(tokens + 1) for _ in range(3))
    short = statistics.median(run(1) for _ in range(3))
    return (long - short) / tokens * 1e3


def ffn_weights(model):
    """Per layer: gate, up as [experts, 32, dim]; the down transposed likewise (an expert's rows contiguous)."""
    layers = []
    for layer in model.model.layers:
        mlp = layer.mlp
        dim = mlp.gate_proj.weight.shape[1]
        experts = mlp.gate_proj.weight.shape[0] // EXPERT_SIZE
        layers.append((mlp.gate_proj.weight, mlp.up_proj.weight, mlp.down_proj.weight,
                       mlp.gate_proj.weight.view(experts, EXPERT_SIZE, dim), mlp.up_proj.weight.view(experts, EXPERT_SIZE, dim),
                       mlp.down_proj.weight.t().contiguous().view(experts, EXPERT_SIZE, dim)))
    return layers


def captured(fn):
    """fn's kernels recorded once as a CUDA graph; returns the graph's replay."""
    graph = torch.cuda.CUDAGraph()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        fn()
        with torch.cuda.graph(graph):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    return graph.replay


@torch.no_grad()
def linear_only_ms(model, tokens):
    """Every weight matrix of a token as a GEMV (q, k, v, o, gate, up, down, output), one CUDA graph:
    what the token's weight bytes cost through cuBLAS, with no attention, norms or sampling."""
    dim = model.config.hidden_size
    x = torch.randn(1, dim, device="cuda", dtype=torch.float16)
    ffn_in = torch.randn(1, model.config.intermediate_size, device="cuda", dtype=torch.float16)
    matrices = [m.weight for layer in model.model.layers
                for m in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj, layer.self_attn.o_proj,
                          layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj)] + [model.lm_head.weight]

    def linears():
        for w in matrices:
            F.linear(ffn_in if w.shape[1] != dim else x, w)

    return cuda_ms(captured(linears), tokens)


@torch.no_grad()
def ffn_ms(model, sparsities, tokens):
    layers = ffn_weights(model)
    dim = layers[0][0].shape[1]
    experts = layers[0][3].shape[0]
    gen = torch.Generator(device="cuda").manual_seed(7)
    x = torch.randn(1, dim, device="cuda", dtype=torch.float16, generator=gen)

    def dense():
        for gate, up, down, *_ in layers:
            F.linear(F.silu(F.linear(x, gate)) * F.linear(x, up), down)

    result = {"dense": cuda_ms(dense, tokens), "dense, one CUDA graph": cuda_ms(captured(dense), tokens)}
    routers = [torch.randn(experts, dim, device="cuda", generator=gen) / dim ** 0.5 for _ in layers]
    xf = torch.randn(1, dim, device="cuda", generator=gen)  # logits ~ N(0, 1) against routers of variance 1 / dim
    for s in sparsities:
        z = float(torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(s)))
        active_fractions = []

        def sparse():
            for (_, _, _, gate_e, up_e, down_e), router in zip(layers, routers):
                active = ((xf @ router.t())[0] > z).nonzero().squeeze(1)  # the size goes to the host: a sync
                active_fractions.append(active.numel() / experts)
                g = gate_e.index_select(0, active).view(-1, dim)
                u = up_e.index_select(0, active).view(-1, dim)
                h = F.silu(F.linear(x, g)) * F.linear(x, u)
                h @ down_e.index_select(0, active).view(-1, dim)

        ms = cuda_ms(sparse, tokens)
        result[f"LTE {s:.2f} (measured {1 - statistics.mean(active_fractions):.3f}), gathered rows"] = ms
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="llama2-7b", choices=sorted(PRESETS))
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--sparsity", default="0.5,0.8")
    parser.add_argument("--compile", action="store_true", help="also time generate with a static cache and CUDA graphs")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.manual_seed(42)
    device = torch.cuda.get_device_name()
    print(f"peer_bench: {args.preset} fp16, random weights, on {device}; torch {torch.__version__}, "
          f"transformers {transformers.__version__}")
    report = {"preset": args.preset, "device": device, "torch": torch.__version__, "transformers": transformers.__version__}
    report["copy GB/s"] = copy_gbps()
    print(f"copy: {report['copy GB/s']:.0f} GB/s (read + written)")
    model = model_of(args.preset)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    print(f"model: {weight_bytes / 1e9:.2f} GB of weights")
    with torch.no_grad():
        ms = generate_ms_per_token(model, args.tokens)
    report["hf-eager ms/token"] = ms
    print(f"hf-eager (generate, greedy): {ms:.2f} ms/token")
    ms = linear_only_ms(model, args.tokens)
    report["linear-only ms/token"] = ms
    print(f"linear-only (every weight matrix once, one CUDA graph): {ms:.3f} ms/token, "
          f"{weight_bytes / ms / 1e6:.0f} GB/s of weights")
    ffn = ffn_ms(model, [float(s) for s in args.sparsity.split(",")], args.tokens)
    report["ffn ms/token"] = ffn
    for name, value in ffn.items():
        print(f"ffn blocks of all layers, {name}: {value:.3f} ms/token ({value / ffn['dense']:.3f}x dense)")
    if args.compile:
        try:
            # generate compiles the forward pass itself (CUDA graphs) once the cache is static
            model.generation_config.cache_implementation = "static"
            if hasattr(transformers, "CompileConfig"):
                model.generation_config.compile_config = transformers.CompileConfig(fullgraph=True, mode="reduce-overhead")
            with torch.no_grad():
                ms = generate_ms_per_token(model, args.tokens)
            report["hf-graphs ms/token"] = ms
            print(f"hf-graphs (static cache, torch.compile reduce-overhead): {ms:.2f} ms/token")
        except Exception as e:  # a peer we cannot run here is reported, not fatal
            report["hf-graphs error"] = f"{type(e).__name__}: {e}"
            print(f"hf-graphs: could not run: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
