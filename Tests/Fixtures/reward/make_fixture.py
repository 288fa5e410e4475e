#!/usr/bin/env python3
"""Makes the reward-model fixture of the grade tests, once; the tests read the committed files.

model/ is a tiny random LlamaForSequenceClassification (num_labels 1, GQA, pad_token_id 0) saved
by transformers, with the tokenizer of Tests/Fixtures/gguf/hf, so its texts tokenise as there.
records.jsonl holds graded-sample records (prompt, completion, answer); reference.jsonl holds, per
record in the same order, the token ids the reward model reads and the reward transformers
(float32) computes from them.

The ids follow the toolkit's one tokenizing rule, as dpo-train scores a completion:
[BOS if the tokenizer's post-processor adds one] + encode(prompt) + encode(completion) + [EOS],
each text encoded on its own without special tokens. The rewards come from one batch, right
padded with pad_token_id and an attention mask, the head read at each row's last non-pad token
exactly as LlamaForSequenceClassification pools; each row is also scored alone and must agree.

Usage, from the repository root:
    python Tests/Fixtures/reward/make_fixture.py
Needs torch, transformers and tokenizers.
"""
import json
import shutil
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForSequenceClassification

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SOURCE = ROOT / "Tests/Fixtures/gguf/hf"
PROMPT = "Question: {q}\nAnswer:\n"

RECORDS = [
    ("Janet's ducks lay 16 eggs per day. How many eggs in two days?", "16 + 16 = 32 eggs.\nFinal answer: 32", "32"),
    ("Janet's ducks lay 16 eggs per day. How many eggs in two days?", "She has 16 eggs.\nFinal answer: 16", "32"),
    ("Natalia sold clips to 48 of her friends, then half as many. How many in all?", "48 / 2 = 24, 48 + 24 = 72\nFinal answer: 72", "72"),
    ("Natalia sold clips to 48 of her friends, then half as many. How many in all?", "", "72"),
    ("What is 1234 + 5678?", "<think>add the digits</think> 6912\nFinal answer: 6912", "6912"),
    ("What is 1234 + 5678?", "Ünïcödé — “quotes” 🙂 and <|endoftext|> in the text. Final answer: 7", "6912"),
]


def main():
    torch.manual_seed(20240219)
    config = LlamaConfig(
        vocab_size=306, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=512,
        rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False,
        num_labels=1)
    model = LlamaForSequenceClassification(config).float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    out = HERE / "model"
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out)
    shutil.copy(SOURCE / "tokenizer.json", out / "tokenizer.json")

    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    post = json.loads((out / "tokenizer.json").read_text())["post_processor"] or {}
    assert post.get("type") in ("ByteLevel", None), "this script adds no BOS; check the post-processor"

    def encode(text):
        return tok.encode(text, add_special_tokens=False).ids

    rows = []
    for q, completion, answer in RECORDS:
        prompt = PROMPT.format(q=q)
        rows.append((prompt, completion, answer, encode(prompt) + encode(completion) + [config.eos_token_id]))

    longest = max(len(r[3]) for r in rows)
    ids = torch.tensor([r[3] + [config.pad_token_id] * (longest - len(r[3])) for r in rows])
    mask = torch.tensor([[1] * len(r[3]) + [0] * (longest - len(r[3])) for r in rows])
    with torch.no_grad():
        batched = model(input_ids=ids, attention_mask=mask).logits[:, 0]
        for i, r in enumerate(rows):
            alone = model(input_ids=torch.tensor([r[3]])).logits[0, 0]
            assert abs(alone - batched[i]) <= 1e-5 * max(1.0, abs(alone)), (i, alone, batched[i])

    with open(HERE / "records.jsonl", "w") as f:
        for i, (prompt, completion, answer, _) in enumerate(rows):
            f.write(json.dumps({"id": i // 2 + 1, "prompt": prompt, "completion": completion, "answer": answer},
                               ensure_ascii=False) + "\n")
    with open(HERE / "reference.jsonl", "w") as f:
        for (_, _, _, row), reward in zip(rows, batched.tolist()):
            f.write(json.dumps({"ids": row, "reward": reward}) + "\n")


if __name__ == "__main__":
    main()
