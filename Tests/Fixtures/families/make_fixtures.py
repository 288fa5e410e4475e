#!/usr/bin/env python3
"""Makes the model-family fixtures of the checkpoint tests, once; the tests read the committed files.

One tiny random checkpoint per family the engine runs beside plain Llama, saved by transformers
in the HF layout, and expected.json with what transformers (float32) computes from each: the
log-softmax of every position of a prompt and the greedy continuation of that prompt.

    llama3-rope   LlamaForCausalLM, rope_scaling llama3 (Llama 3.1/3.2's), old rope_scaling spelling
    linear-rope   LlamaForCausalLM, rope_parameters with rope_type linear (transformers 5 spelling)
    mistral       MistralForCausalLM, sliding_window null
    qwen2-tied    Qwen2ForCausalLM (q/k/v biases), tied head
    qwen2         Qwen2ForCausalLM, untied head

RoPE theta is small (100) and the prompt long enough that every scaled frequency turns through a
large angle, so a wrong scaling moves the logits far beyond the tests' tolerance. Biases are
random (transformers initialises them to zero, which would test nothing).

Usage, from the repository root: python Tests/Fixtures/families/make_fixtures.py
Needs torch and transformers (5.x).
"""
import json
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
VOCAB = 97
PROMPT = [(i * 37 + 11) % VOCAB for i in range(48)]
GREEDY_TOKENS = 16
COMMON = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=256,
              rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, pad_token_id=0)


def families():
    from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
                              Qwen2Config, Qwen2ForCausalLM)
    return {
        "llama3-rope": (LlamaForCausalLM, LlamaConfig(**COMMON, tie_word_embeddings=False, rope_scaling={
            "rope_type": "llama3", "rope_theta": 100.0, "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 64})),
        "linear-rope": (LlamaForCausalLM, LlamaConfig(**COMMON, tie_word_embeddings=False, rope_parameters={
            "rope_type": "linear", "rope_theta": 100.0, "factor": 3.0})),
        "mistral": (MistralForCausalLM, MistralConfig(**COMMON, tie_word_embeddings=False, sliding_window=None,
                                                      rope_parameters={"rope_type": "default", "rope_theta": 100.0})),
        "qwen2-tied": (Qwen2ForCausalLM, Qwen2Config(**COMMON, tie_word_embeddings=True, use_sliding_window=False,
                                                     rope_parameters={"rope_type": "default", "rope_theta": 100.0})),
        "qwen2": (Qwen2ForCausalLM, Qwen2Config(**COMMON, tie_word_embeddings=False, use_sliding_window=False,
                                                rope_parameters={"rope_type": "default", "rope_theta": 100.0})),
    }


def old_spelling(out, cls, ids, logprobs):
    """Rewrites config.json the way Llama 3.1/3.2 checkpoints spell it (rope_theta at the top,
    rope_scaling with the scaling's numbers), and checks transformers reads it the same."""
    path = out / "config.json"
    config = json.loads(path.read_text())
    rope = config.pop("rope_parameters")
    config["rope_theta"] = rope.pop("rope_theta")
    config["rope_scaling"] = rope
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    with torch.no_grad():
        again = torch.log_softmax(cls.from_pretrained(out).eval()(ids).logits[0].float(), dim=-1)
    assert torch.equal(again, logprobs), "the old spelling reads differently"


def main():
    expected = {"prompt": PROMPT, "models": {}}
    for seed, (name, (cls, config)) in enumerate(sorted(families().items())):
        torch.manual_seed(seed)
        model = cls(config).to(torch.float32).eval()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if pname.endswith(".bias"):
                    p.normal_(0.0, 0.5)
                elif pname.endswith("norm.weight"):
                    p.normal_(1.0, 0.2)
                else:
                    p.normal_(0.0, 0.2)
        out = HERE / name
        model.save_pretrained(out, safe_serialization=True)
        ids = torch.tensor([PROMPT])
        with torch.no_grad():
            logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
            greedy = model.generate(ids, max_new_tokens=GREEDY_TOKENS, do_sample=False, eos_token_id=None,
                                    pad_token_id=0)[0, len(PROMPT):].tolist()
        # The log-prob of each next prompt token and of the greedy tokens' first step, enough to
        # pin every position's logits without committing the whole (48 x 97) matrix.
        next_logprobs = [logprobs[t, PROMPT[t + 1]].item() for t in range(len(PROMPT) - 1)]
        expected["models"][name] = {
            "architecture": cls.__name__,
            "next_token_logprobs": next_logprobs,
            "last_logprobs": logprobs[-1].tolist(),
            "greedy": greedy,
        }
        (out / "generation_config.json").unlink(missing_ok=True)
        if name == "llama3-rope":
            old_spelling(out, cls, ids, logprobs)
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
