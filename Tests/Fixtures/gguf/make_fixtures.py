#!/usr/bin/env python3
"""Makes the GGUF fixtures of the checkpoint tests, once; the tests read the committed files.

A tiny random LlamaForCausalLM (GQA, untied head) with a byte-level BPE trained here on GSM8K
questions, saved in the HF layout (hf/), then written as GGUF by llama.cpp's own converter
(F32, F16, BF16, Q8_0) and re-quantised with gguf-py (Q4_0, Q4_1). expected.json holds what
transformers (float32) computes from each file: logits at a few positions, greedy tokens, and the
HF tokenizer's ids for a handful of strings.

spm-vocab.gguf is a vocabulary-only file of the other tokenizer kind GGUF carries, SentencePiece
BPE (tokenizer model "llama": tokens, scores, byte-fallback tokens, no merges), built from a BPE
trained here in Llama 2's shape; its reference ids come from HF tokenizers running the merges
transformers' generate_merges derives from the scores.

Usage, from the repository root:
    python Tests/Fixtures/gguf/make_fixtures.py LLAMA_CPP_DIR
where LLAMA_CPP_DIR is a llama.cpp checkout holding convert_hf_to_gguf.py and gguf-py (the
PyPI sdist of llama-cpp-python vendors one: vendor/llama.cpp). Needs torch, transformers,
tokenizers, numpy and gguf (pip install gguf).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Strings whose ids the tests compare: digits (split one by one), spaces, newlines, special and
# added tokens written in the text, punctuation, and characters outside ASCII.
TEXTS = [
    "Janet's ducks lay 16 eggs per day.",
    "  two  spaces, then\n\na blank line\tand a tab",
    "<|im_start|>user\nWhat is 1234 + 5678?<|im_end|>\n",
    "<think>She sells the remainder</think> at $2 each",
    "Ünïcödé — “quotes” and emoji 🙂 and 日本語",
    "",
    " leading space and trailing space ",
    "x=3.14159; y=-42",
]
PROMPTS = ["Natalia sold clips to 48 of her friends", "<|im_start|>user\nHow many eggs?"]
LOGIT_POSITIONS = 3
GREEDY_TOKENS = 12


def train_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    questions = []
    with open(ROOT / "data/gsm8k/train.jsonl", encoding="utf-8") as f:
        for line in f:
            questions.append(json.loads(line)["question"])
            if len(questions) == 400:
                break
    tok = Tokenizer(models.BPE())
    # SmolLM2's pre-tokenizer (llama.cpp calls it "smollm"): digits one by one, then GPT-2's split.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=304, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(questions, trainer)
    return tok


def make_hf(hf_dir):
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    from tokenizers import AddedToken

    tok = train_tokenizer()
    tok.add_tokens([AddedToken("<think>", normalized=False, special=False),
                    AddedToken("</think>", normalized=False, special=False)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   unk_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(hf_dir)
    vocab = len(fast)
    config = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.pad_token_id)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.float32)
    # Weights large enough that logits are far from ties (greedy tokens must not hinge on an ulp),
    # and norm gains away from 1 so that a norm read into the wrong slot shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.35 * torch.randn_like(p))
    model.save_pretrained(hf_dir, safe_serialization=True)
    return fast


def convert(llama_dir, hf_dir, outtype, out):
    # The converter recognises pre-tokenizers by hashing their output on a fixed text; ours is
    # freshly trained, so it is named directly: it splits as SmolLM2's does. Its Llama and Qwen2
    # paths try sentencepiece first, which a byte-level vocabulary does not need.
    runner = f"""
import sys, runpy
sys.path.insert(0, {str(llama_dir)!r}); sys.path.insert(1, {str(llama_dir / 'gguf-py')!r})
import conversion.base as base, conversion.llama as llama, conversion.qwen as qwen
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "smollm"
llama.LlamaModel.set_vocab = lambda self: self._set_vocab_gpt2()
qwen.Qwen2Model.set_vocab = lambda self: self._set_vocab_gpt2()
sys.argv = ["convert_hf_to_gguf.py", {str(hf_dir)!r}, "--outtype", {outtype!r}, "--outfile", {str(out)!r}]
runpy.run_path({str(llama_dir / 'convert_hf_to_gguf.py')!r}, run_name="__main__")
"""
    subprocess.run([sys.executable, "-c", runner], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def requantize(src, out, qtype):
    """Every 2-D tensor of an F32 file quantised to `qtype`; norms stay F32, as llama-quantize does."""
    import gguf

    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"]
    writer = gguf.GGUFWriter(out, bytes(arch.parts[arch.data[0]]).decode())
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                value = [bytes(field.parts[i]).decode() for i in field.data]
            else:
                value = [field.parts[i].tolist()[0] for i in field.data]
            writer.add_key_value(name, value, vtype, sub_type=sub)
        elif vtype == gguf.GGUFValueType.STRING:
            writer.add_key_value(name, bytes(field.parts[field.data[0]]).decode(), vtype)
        else:
            writer.add_key_value(name, field.parts[field.data[0]].tolist()[0], vtype)
    for t in reader.tensors:
        data = np.array(t.data, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)])
        if data.ndim == 2:
            q = gguf.quants.quantize(data, qtype)
            writer.add_tensor(t.name, q, raw_dtype=qtype)
        else:
            writer.add_tensor(t.name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def make_spm_vocab(path):
    """A SentencePiece-style vocabulary written as llama.cpp's converter writes one: <unk>, <s>,
    </s>, the 256 <0xNN> byte tokens, then pieces scored by their merge order."""
    import gguf
    from tokenizers import Tokenizer, models, normalizers, trainers

    questions = []
    with open(ROOT / "data/gsm8k/train.jsonl", encoding="utf-8") as f:
        for line in f:
            questions.append(json.loads(line)["question"])
            if len(questions) == 400:
                break
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=specials, show_progress=False)
    tok.train_from_iterator(questions, trainer)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    tokens = [t for t, _ in vocab] + ["<think>"]
    types = ([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
             + [gguf.TokenType.NORMAL] * (len(vocab) - 259) + [gguf.TokenType.USER_DEFINED])
    # SentencePiece scores pieces best first; the trainer's ids are its merge order.
    scores = [0.0] * 259 + [-float(i) for i in range(len(tokens) - 259)]
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_space_prefix(True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    return tokens, scores, types


def spm_reference(tokens, scores, types):
    """HF tokenizers over the Llama 2 tokenizer.json shape (Prepend and Replace, so ▁ starts each
    piece of text between special tokens, as llama.cpp does), merges from transformers."""
    from tokenizers import AddedToken, Tokenizer, models, normalizers
    from transformers.tokenization_utils_base import generate_merges

    vocab = {t: i for i, t in enumerate(tokens)}
    merges = generate_merges(vocab, dict(zip(tokens, scores)))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.add_tokens([AddedToken(t, normalized=False, special=int(k) != 4)
                    for t, k in zip(tokens, types) if int(k) in (2, 3, 4)])
    return tok


def reference(model, ids):
    """Logits at the last LOGIT_POSITIONS positions of `ids`, each float32 in its shortest decimal."""
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    # float(str(float32)) is the float32's shortest decimal, which json then prints as it is.
    return [[float(str(v)) for v in row] for row in logits[-LOGIT_POSITIONS:].numpy()]


def greedy(model, ids):
    """GREEDY_TOKENS argmax tokens after `ids`, EOS included (nothing stops early)."""
    seq = list(ids)
    with torch.no_grad():
        for _ in range(GREEDY_TOKENS):
            logits = model(torch.tensor([seq])).logits[0, -1]
            seq.append(int(torch.argmax(logits)))
    return seq[len(ids):]


def main():
    llama_dir = Path(sys.argv[1]).resolve()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    hf_dir = HERE / "hf"
    if hf_dir.exists():
        shutil.rmtree(hf_dir)
    fast = make_hf(hf_dir)
    files = {"F32": "tiny-f32.gguf", "F16": "tiny-f16.gguf", "BF16": "tiny-bf16.gguf", "Q8_0": "tiny-q8_0.gguf"}
    for kind, name in files.items():
        convert(llama_dir, hf_dir, kind.lower(), HERE / name)
    sys.path.insert(0, str(llama_dir / "gguf-py"))
    import gguf
    for kind in ["Q4_0", "Q4_1"]:
        files[kind] = f"tiny-{kind.lower()}.gguf"
        requantize(HERE / files["F32"], HERE / files[kind], getattr(gguf.GGMLQuantizationType, kind))

    # Transformers' own GGUF path wants the file inside a directory it can name.
    prompts = [fast.encode(p, add_special_tokens=False) for p in PROMPTS]
    expected = {"texts": [], "models": {}}
    for text in TEXTS:
        expected["texts"].append({"text": text, "ids": fast.encode(text, add_special_tokens=False)})
    hf_model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).eval()
    expected["models"]["hf"] = {
        "logits": reference(hf_model, prompts[0]),
        "greedy": [greedy(hf_model, p) for p in prompts],
    }
    with tempfile.TemporaryDirectory() as tmp:
        gguf_tokenizer_ids = None
        for kind, name in files.items():
            shutil.copy(HERE / name, Path(tmp) / name)
            model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=name, dtype=torch.float32).eval()
            expected["models"][kind] = {
                "file": name,
                "logits": reference(model, prompts[0]),
                "greedy": [greedy(model, p) for p in prompts],
            }
            if gguf_tokenizer_ids is None:
                t = AutoTokenizer.from_pretrained(tmp, gguf_file=name)
                gguf_tokenizer_ids = [t.encode(x, add_special_tokens=False) for x in TEXTS]
    for entry, ids in zip(expected["texts"], gguf_tokenizer_ids):
        # What transformers' GGUF tokenizer makes of the file, for the record: it builds a plain
        # GPT-2 pre-tokenizer for "smollm" and so can merge a digit after a space.
        entry["transformers_gguf_ids"] = ids
    expected["prompts"] = [{"text": t, "ids": ids} for t, ids in zip(PROMPTS, prompts)]

    spm = make_spm_vocab(HERE / "spm-vocab.gguf")
    legacy = spm_reference(*spm)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(HERE / "spm-vocab.gguf", Path(tmp) / "spm-vocab.gguf")
        hf_spm = AutoTokenizer.from_pretrained(tmp, gguf_file="spm-vocab.gguf")
    expected["spm"] = []
    for text in TEXTS + ["</s><s>hi", "tab\there", "\u00e9t\u00e9 \u2581 \U0001F642"]:
        # transformers' own GGUF tokenizer prepends ▁ only at the start of the text (Metaspace
        # "first"); it agrees wherever no special token is followed by text.
        expected["spm"].append({"text": text, "ids": legacy.encode(text).ids,
                                "transformers_gguf_ids": hf_spm.encode(text, add_special_tokens=False)})
    with open(HERE / "expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
