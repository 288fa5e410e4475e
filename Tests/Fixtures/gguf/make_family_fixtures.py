#!/usr/bin/env python3
"""Makes the GGUF fixtures of the families beside plain Llama, once; the tests read the committed files.

Tiny random checkpoints sharing the byte-level BPE of hf/ (made by make_fixtures.py), written as
GGUF by llama.cpp's own converter:
    qwen2-f32.gguf         Qwen2ForCausalLM (q, k and v biases; GQA), untied head, F32
    qwen2-tied-q8_0.gguf   the same family, tied head, Q8_0 matrices (biases and norms stay F32)
    llama3-rope-f32.gguf   LlamaForCausalLM with Llama 3.1's rope_scaling, which the converter
                           writes as the tensor rope_freqs.weight
    linear-rope-f32.gguf   LlamaForCausalLM with linear rope_scaling (metadata rope.scaling.*)
llama.cpp runs qwen2 with HF's half-split RoPE, so unlike the llama files the converter leaves q
and k rows in HF's order. RoPE theta is small and the Llama 3 original context short, so the
prompt turns every scaled frequency through a large angle and all three of Llama 3's bands occur.
expected-families.json holds what transformers (float32) computes from each HF model and from each
GGUF file (transformers' own GGUF reader ignores rope_freqs.weight, so for that file only the HF
model is a reference): logits at the last positions of a prompt and greedy tokens.

Usage, from the repository root:
    python Tests/Fixtures/gguf/make_qwen2_fixtures.py LLAMA_CPP_DIR
where LLAMA_CPP_DIR is a llama.cpp checkout holding convert_hf_to_gguf.py and gguf-py (the PyPI
sdist of llama-cpp-python vendors one: vendor/llama.cpp). Needs torch, transformers, numpy, gguf.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_fixtures import convert  # noqa: E402  (llama.cpp's converter, our vocabulary named)
# The first prompt of expected.json, as ids of hf/'s tokenizer.
PROMPT = [48, 286, 299, 75, 67, 265, 81, 78, 70, 271, 78, 75, 82, 85, 281, 223, 22, 26, 278, 297, 84, 272, 84, 75, 71, 277, 85]
LOGIT_POSITIONS = 3
GREEDY_TOKENS = 12
# file: (family, tied head, converter outtype, seed, rope_parameters)
MODELS = {
    "qwen2-f32.gguf": ("qwen2", False, "f32", 1, {"rope_type": "default", "rope_theta": 1000.0}),
    "qwen2-tied-q8_0.gguf": ("qwen2", True, "q8_0", 2, {"rope_type": "default", "rope_theta": 1000.0}),
    "llama3-rope-f32.gguf": ("llama", False, "f32", 3, {
        "rope_type": "llama3", "rope_theta": 100.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
    "linear-rope-f32.gguf": ("llama", False, "f32", 4, {"rope_type": "linear", "rope_theta": 100.0, "factor": 3.0}),
}


def make_hf(out, family, tied, seed, rope):
    """A random model of `family` with hf/'s tokenizer; biases and norm gains random so that each shows."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(HERE / "hf" / name, out / name)
    hf_config = json.loads((HERE / "hf" / "config.json").read_text())
    common = dict(vocab_size=hf_config["vocab_size"], hidden_size=32, intermediate_size=64,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=tied,
                  bos_token_id=hf_config["bos_token_id"], eos_token_id=hf_config["eos_token_id"],
                  pad_token_id=hf_config["pad_token_id"], rope_parameters=rope)
    if family == "qwen2":
        cls, config = Qwen2ForCausalLM, Qwen2Config(**common, use_sliding_window=False)
    else:
        cls, config = LlamaForCausalLM, LlamaConfig(**common)
    torch.manual_seed(seed)
    model = cls(config).to(torch.float32).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.normal_(0.0, 0.5)
            elif p.ndim == 1:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.35 * torch.randn_like(p))
    model.save_pretrained(out, safe_serialization=True)
    return model


def reference(model):
    """Logits at the last LOGIT_POSITIONS positions of PROMPT (float32 shortest decimals) and
    GREEDY_TOKENS argmax tokens after it."""
    seq = list(PROMPT)
    with torch.no_grad():
        logits = model(torch.tensor([seq])).logits[0]
        for _ in range(GREEDY_TOKENS):
            seq.append(int(torch.argmax(model(torch.tensor([seq])).logits[0, -1])))
    rows = [[float(str(v)) for v in row] for row in logits[-LOGIT_POSITIONS:].numpy()]
    return {"logits": rows, "greedy": seq[len(PROMPT):]}


def main():
    llama_dir = Path(sys.argv[1]).resolve()
    from transformers import AutoModelForCausalLM

    expected = {"prompt": PROMPT, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (family, tied, outtype, seed, rope) in MODELS.items():
            hf_dir = Path(tmp) / name.removesuffix(".gguf")
            hf_dir.mkdir()
            model = make_hf(hf_dir, family, tied, seed, rope)
            convert(llama_dir, hf_dir, outtype, HERE / name)
            # transformers' own GGUF reader, on the file as written (Q8_0 dequantised)
            gguf_dir = Path(tmp) / (name + ".dir")
            gguf_dir.mkdir()
            shutil.copy(HERE / name, gguf_dir / name)
            from_file = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=name, dtype=torch.float32).eval()
            expected["models"][name] = {"family": family, "tied": tied, "rope": rope,
                                        "hf": reference(model), "gguf": reference(from_file)}
    with open(HERE / "expected-families.json", "w", encoding="utf-8") as f:
        json.dump(expected, f)
        f.write("\n")


if __name__ == "__main__":
    main()
