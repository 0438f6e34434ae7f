"""Loads ViT checkpoints written by this library into plain PyTorch by their timm names and checks that
the reference forward of gen_model.py gives the logits our library computed.

    node test/reference/export_vit_from_ts.mjs /tmp/vit_ts.safetensors
    .venv-ref/bin/python test/reference/verify_vit_checkpoint.py /tmp/vit_ts.safetensors
"""
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from gen_model import BLOCK_TENSORS, vit_forward

base = sys.argv[1] if len(sys.argv) > 1 else "/tmp/vit_ts.safetensors"
for pool in ("cls", "avg"):
    path = base.replace(".safetensors", f"_{pool}.safetensors")
    with safe_open(path, "pt") as f:
        config = json.loads(f.metadata()["config"])
    sd = load_file(path)
    images, logits = sd.pop("__images"), sd.pop("__logits")
    cfg = {"embed_dim": config["embedDim"], "ln_eps": config["lnEps"], "patch_size": config["patchSize"], "num_heads": config["numHeads"]}
    blocks = [{k: sd.pop(f"blocks.{i}.{k}") for k in BLOCK_TENSORS} for i in range(config["depth"])]
    expected = {"patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed", "norm.weight", "norm.bias", "head.weight", "head.bias"}
    if pool == "cls":
        expected.add("cls_token")
    assert set(sd) == expected, f"unexpected keys: {sorted(set(sd) ^ expected)}"
    with torch.no_grad():
        ours = vit_forward(sd, blocks, images, cfg, pool)
    err = (ours - logits).abs().max().item() / logits.abs().max().item()
    assert err < 1e-5, f"{pool}: logits differ by {err:.2e} (relative to max)"
    print(f"OK {pool}: {path} loads by timm names into torch {torch.__version__}; logits agree to {err:.1e}")
