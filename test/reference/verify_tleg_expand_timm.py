"""Loads checkpoints written by `tleg expand` into timm, both ways the README shows, and checks that timm's
logits equal the plain-PyTorch reference forward of gen_model.py on the same tensors. Needs timm, so it is
not part of CI; run it by hand after changing `tleg expand`:

    node dist/tleg/cli.js expand test/reference/fixtures/tleg/gene_k1.safetensors --depth 9 --out /tmp/vit9.safetensors
    .venv-ref/bin/python test/reference/verify_tleg_expand_timm.py /tmp/vit9.safetensors [more files...]
"""
import json
import sys

import torch
import timm
from timm.models.vision_transformer import VisionTransformer
from safetensors import safe_open
from safetensors.torch import load_file

from gen_model import BLOCK_TENSORS, vit_forward

torch.manual_seed(0)
for path in sys.argv[1:]:
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    config, kwargs = json.loads(meta["config"]), json.loads(meta["timm_kwargs"])
    state = load_file(path)

    plain = VisionTransformer(**kwargs).eval()
    plain.load_state_dict(state)  # strict: every name and shape must match
    created = timm.create_model("deit_tiny_patch16_224", pretrained=True,
                                pretrained_cfg_overlay=dict(file=path, num_classes=kwargs["num_classes"]), **kwargs).eval()

    images = torch.randn(4, config["inChans"], config["imgSize"], config["imgSize"])
    pool = config["pool"]
    cfg = {"embed_dim": config["embedDim"], "ln_eps": config["lnEps"], "patch_size": config["patchSize"], "num_heads": config["numHeads"]}
    blocks = [{k: state[f"blocks.{i}.{k}"] for k in BLOCK_TENSORS} for i in range(config["depth"])]
    shared = dict(state)
    if config["numClasses"] == 0:  # the reference forward ends with the head; features are its input
        shared["head.weight"], shared["head.bias"] = torch.eye(config["embedDim"]), torch.zeros(config["embedDim"])
    with torch.no_grad():
        reference = vit_forward(shared, blocks, images, cfg, pool)
        for how, model in (("VisionTransformer(**timm_kwargs).load_state_dict", plain), ("timm.create_model(pretrained_cfg_overlay=file)", created)):
            out = model(images)
            err = ((out - reference).abs().max() / reference.abs().max()).item()
            assert err < 1e-5, f"{path}, {how}: logits differ from the reference by {err:.2e} (relative to max)"
            same = all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
            assert same and len(model.state_dict()) == len(state), f"{path}, {how}: weights differ from the file"
            print(f"OK {path} ({pool} pooling, depth {config['depth']}, {config['numClasses']} classes): {how}: "
                  f"logits agree with the reference to {err:.1e} (timm {timm.__version__}, torch {torch.__version__})")
