"""Write the fixture of timm's average pooling with fc_norm to fixtures/model/vit_avg_fc_norm_{f32,f64}.json.

timm's VisionTransformer(global_pool='avg', class_token=False) sets fc_norm by default: `norm` is Identity and
the final LayerNorm, named `fc_norm`, runs on the mean of the tokens (x[:, num_prefix_tokens:].mean(1)) just
before the head. Written in plain torch, the same tiny ViT as gen_model.py.

Run: .venv-ref/bin/python test/reference/gen_vit_fc_norm.py
"""

import torch
import torch.nn.functional as F

from common import DTYPES, grads_of, leaves, quantised_randn, seed_for, write_case
from gen_model import BLOCK_TENSORS, FOLDER, VIT, WEIGHT_STD, attention, block_shapes, draw_data, draw_param, mlp, shared_shapes


def fc_norm_shapes(cfg):
    shapes = shared_shapes(cfg, "avg")
    d = cfg["embed_dim"]
    del shapes["norm.weight"], shapes["norm.bias"]
    shapes["fc_norm.weight"] = [d]
    shapes["fc_norm.bias"] = [d]
    return shapes


def vit_forward_fc_norm(shared, blocks, images, cfg):
    """timm's forward_features (norm = Identity) then forward_head: token mean, fc_norm, head."""
    d, eps = cfg["embed_dim"], cfg["ln_eps"]
    x = F.conv2d(images, shared["patch_embed.proj.weight"], shared["patch_embed.proj.bias"], stride=cfg["patch_size"])
    x = x.flatten(2).transpose(1, 2) + shared["pos_embed"]
    for b in blocks:
        x = x + attention(F.layer_norm(x, (d,), b["norm1.weight"], b["norm1.bias"], eps), b, cfg["num_heads"])
        x = x + mlp(F.layer_norm(x, (d,), b["norm2.weight"], b["norm2.bias"], eps), b)
    x = F.layer_norm(x.mean(dim=1), (d,), shared["fc_norm.weight"], shared["fc_norm.bias"], eps)
    return F.linear(x, shared["head.weight"], shared["head.bias"])


def main():
    name = "vit_avg_fc_norm"
    seed_for(name)
    drawn = {}
    for k, s in fc_norm_shapes(VIT).items():
        drawn[k] = quantised_randn(*s, std=WEIGHT_STD, mean=1.0) if k == "fc_norm.weight" else draw_param(k, s)
    for i in range(VIT["depth"]):
        drawn.update({f"blocks.{i}.{k}": draw_param(k, s) for k, s in block_shapes(VIT).items()})
    images, labels = draw_data(VIT)
    attrs = dict(VIT, pool="avg", fc_norm=True, class_token=False, loss="cross_entropy mean")
    for suffix, dtype in DTYPES.items():
        p = leaves(drawn, dtype)
        blocks = [{k: p[f"blocks.{i}.{k}"] for k in BLOCK_TENSORS} for i in range(VIT["depth"])]
        logits = vit_forward_fc_norm(p, blocks, images.to(dtype), VIT)
        loss = F.cross_entropy(logits, labels)
        grads = grads_of(loss, p)
        print(write_case(FOLDER, name, suffix, dtype, attrs, dict(p, images=images.to(dtype), labels=labels),
                         {"logits": logits, "loss": loss}, grads))


if __name__ == "__main__":
    main()
