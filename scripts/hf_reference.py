#!/usr/bin/env python3
"""Reference vectors for lte4j's JVM Llama-family forward pass.

Builds tiny random-weight Hugging Face models (seeded), saves each with save_pretrained
(safetensors) and writes reference.json next to it: the logits (fp32) of every position of a
fixed token sequence, and a greedy continuation of 8 tokens computed by plain argmax over the
full-sequence logits (no generate(): no eos handling, no generation config).

Usage: python3 scripts/hf_reference.py --out OUT_DIR
Needs torch and transformers. Runs on the CPU in fp32 with eager attention.
"""
import argparse
import json
import os

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

GREEDY_STEPS = 8
PROMPT_LEN = 12


def randomize(model, seed):
    """Random weights everywhere (HF's init leaves biases at zero and norms at one, which would
    hide bugs in bias and norm handling)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))
    if model.config.tie_word_embeddings:
        model.tie_weights()


def round_weights(model, dtype):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


@torch.no_grad()
def reference(model, vocab, seed):
    g = torch.Generator().manual_seed(seed + 1000)
    ids = torch.randint(0, vocab, (1, PROMPT_LEN), generator=g)
    logits = model(ids).logits[0].float()
    seq = ids
    greedy, margins = [], []
    for _ in range(GREEDY_STEPS):
        last = model(seq).logits[0, -1].float()
        top = torch.topk(last, 2)
        greedy.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        seq = torch.cat([seq, top.indices[:1].view(1, 1)], dim=1)
    return {
        "input_ids": ids[0].tolist(),
        "logits": [[float("%.8g" % v) for v in row] for row in logits.tolist()],
        "greedy": greedy,
        "greedy_margins": margins,
    }


def build(out, name, cls, config, seed, save_dtype=None, shard=None):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config).eval()
    randomize(model, seed)
    if save_dtype is not None:
        # The reference is the fp32 model whose weights are exactly the saved half-precision values.
        round_weights(model, save_dtype)
    ref = reference(model, config.vocab_size, seed)
    ref.update(name=name, torch=torch.__version__, transformers=transformers.__version__,
               saved_dtype=str(save_dtype or torch.float32))
    folder = os.path.join(out, name)
    to_save = model if save_dtype is None else model.to(save_dtype)
    kwargs = {"safe_serialization": True}
    if shard:
        kwargs["max_shard_size"] = shard
    to_save.save_pretrained(folder, **kwargs)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f)
    print(name, "saved; greedy", ref["greedy"], "min margin %.4g" % min(ref["greedy_margins"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)

    common = dict(hidden_size=64, max_position_embeddings=256, rms_norm_eps=1e-5)
    build(out, "llama_gqa", LlamaForCausalLM,
          LlamaConfig(vocab_size=256, intermediate_size=160, num_hidden_layers=2, num_attention_heads=8,
                      num_key_value_heads=2, rope_theta=10000.0, tie_word_embeddings=False, **common),
          seed=1, shard="200KB")
    build(out, "llama3_scaled_tied", LlamaForCausalLM,
          LlamaConfig(vocab_size=384, intermediate_size=192, num_hidden_layers=3, num_attention_heads=4,
                      num_key_value_heads=2, rope_theta=10000.0, tie_word_embeddings=True,
                      rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
                      **common),
          seed=2)
    build(out, "qwen2_bias", Qwen2ForCausalLM,
          Qwen2Config(vocab_size=320, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, rope_theta=1000000.0, tie_word_embeddings=False,
                      use_sliding_window=False, **common),
          seed=3)
    build(out, "mistral_mqa", MistralForCausalLM,
          MistralConfig(vocab_size=288, intermediate_size=160, num_hidden_layers=4, num_attention_heads=4,
                        num_key_value_heads=1, rope_theta=10000.0, tie_word_embeddings=False,
                        sliding_window=None, **common),
          seed=4)
    build(out, "llama_gqa_bf16", LlamaForCausalLM,
          LlamaConfig(vocab_size=256, intermediate_size=160, num_hidden_layers=2, num_attention_heads=8,
                      num_key_value_heads=2, rope_theta=10000.0, tie_word_embeddings=False, **common),
          seed=5, save_dtype=torch.bfloat16)
    build(out, "qwen2_fp16", Qwen2ForCausalLM,
          Qwen2Config(vocab_size=320, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, rope_theta=1000000.0, tie_word_embeddings=True,
                      use_sliding_window=False, **common),
          seed=6, save_dtype=torch.float16)


if __name__ == "__main__":
    main()
