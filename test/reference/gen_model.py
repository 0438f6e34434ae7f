"""Write model fixtures (tiny ViT, DeiT distillation losses, optimizers, TLEG auxiliary net) to fixtures/model/.

The ViT is written in plain torch with timm's DeiT parameter names and layouts, and follows timm's forward.
Each case is written as float64 (_f64) and float32 (_f32) from the same float64-drawn inputs.

Run: .venv-ref/bin/python test/reference/gen_model.py
"""

import torch
import torch.nn.functional as F

from common import DTYPES, grads_of, leaves, quantised_randn, seed_for, write_case

FOLDER = "model"

VIT = {"img_size": 8, "in_chans": 1, "patch_size": 4, "embed_dim": 16, "depth": 2, "num_heads": 2,
       "mlp_ratio": 4, "num_classes": 5, "batch": 3, "ln_eps": 1e-6, "gelu": "erf"}
WEIGHT_STD = 0.2

BLOCK_TENSORS = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                 "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                 "mlp.fc2.weight", "mlp.fc2.bias"]


# ---- the tiny ViT -------------------------------------------------------------------------------

def block_shapes(cfg):
    d, hidden = cfg["embed_dim"], cfg["embed_dim"] * cfg["mlp_ratio"]
    return {"norm1.weight": [d], "norm1.bias": [d], "attn.qkv.weight": [3 * d, d], "attn.qkv.bias": [3 * d],
            "attn.proj.weight": [d, d], "attn.proj.bias": [d], "norm2.weight": [d], "norm2.bias": [d],
            "mlp.fc1.weight": [hidden, d], "mlp.fc1.bias": [hidden], "mlp.fc2.weight": [d, hidden],
            "mlp.fc2.bias": [d]}


def shared_shapes(cfg, pool):
    d, p, c = cfg["embed_dim"], cfg["patch_size"], cfg["in_chans"]
    num_patches = (cfg["img_size"] // p) ** 2
    shapes = {}
    if pool == "cls":
        shapes["cls_token"] = [1, 1, d]
    shapes["pos_embed"] = [1, num_patches + (1 if pool == "cls" else 0), d]
    shapes["patch_embed.proj.weight"] = [d, c, p, p]
    shapes["patch_embed.proj.bias"] = [d]
    shapes["norm.weight"] = [d]
    shapes["norm.bias"] = [d]
    shapes["head.weight"] = [cfg["num_classes"], d]
    shapes["head.bias"] = [cfg["num_classes"]]
    return shapes


def draw_param(name, shape):
    # LayerNorm gains sit around 1 as in a trained net; everything else around 0. All with std 0.2.
    mean = 1.0 if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight" else 0.0
    return quantised_randn(*shape, std=WEIGHT_STD, mean=mean)


def attention(x, b, num_heads):
    batch, n, d = x.shape
    hd = d // num_heads
    qkv = F.linear(x, b["attn.qkv.weight"], b["attn.qkv.bias"])
    qkv = qkv.reshape(batch, n, 3, num_heads, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = torch.softmax((q @ k.transpose(-2, -1)) * hd ** -0.5, dim=-1)
    out = (attn @ v).transpose(1, 2).reshape(batch, n, d)
    return F.linear(out, b["attn.proj.weight"], b["attn.proj.bias"])


def mlp(x, b):
    return F.linear(F.gelu(F.linear(x, b["mlp.fc1.weight"], b["mlp.fc1.bias"])), b["mlp.fc2.weight"], b["mlp.fc2.bias"])


def vit_forward(shared, blocks, images, cfg, pool):
    """shared: the non-block tensors by timm name; blocks: one dict of BLOCK_TENSORS per block."""
    d, eps = cfg["embed_dim"], cfg["ln_eps"]
    x = F.conv2d(images, shared["patch_embed.proj.weight"], shared["patch_embed.proj.bias"], stride=cfg["patch_size"])
    x = x.flatten(2).transpose(1, 2)
    if pool == "cls":
        x = torch.cat([shared["cls_token"].expand(x.shape[0], -1, -1), x], dim=1)
    x = x + shared["pos_embed"]
    for b in blocks:
        x = x + attention(F.layer_norm(x, (d,), b["norm1.weight"], b["norm1.bias"], eps), b, cfg["num_heads"])
        x = x + mlp(F.layer_norm(x, (d,), b["norm2.weight"], b["norm2.bias"], eps), b)
    x = F.layer_norm(x, (d,), shared["norm.weight"], shared["norm.bias"], eps)
    x = x[:, 0] if pool == "cls" else x.mean(dim=1)
    return F.linear(x, shared["head.weight"], shared["head.bias"])


def draw_data(cfg, num_classes=None):
    images = quantised_randn(cfg["batch"], cfg["in_chans"], cfg["img_size"], cfg["img_size"])
    labels = torch.randint(0, num_classes or cfg["num_classes"], (cfg["batch"],))
    return images, labels


def vit_cases():
    for pool in ("cls", "avg"):
        name = f"vit_{pool}"
        seed_for(name)
        drawn = {k: draw_param(k, s) for k, s in shared_shapes(VIT, pool).items()}
        for i in range(VIT["depth"]):
            drawn.update({f"blocks.{i}.{k}": draw_param(k, s) for k, s in block_shapes(VIT).items()})
        images, labels = draw_data(VIT)
        attrs = dict(VIT, pool=pool, loss="cross_entropy mean")
        for suffix, dtype in DTYPES.items():
            p = leaves(drawn, dtype)
            blocks = [{k: p[f"blocks.{i}.{k}"] for k in BLOCK_TENSORS} for i in range(VIT["depth"])]
            logits = vit_forward(p, blocks, images.to(dtype), VIT, pool)
            loss = F.cross_entropy(logits, labels)
            grads = grads_of(loss, p)
            write_case(FOLDER, name, suffix, dtype, attrs, dict(p, images=images.to(dtype), labels=labels),
                       {"logits": logits, "loss": loss}, grads)


# ---- DeiT distillation losses ---------------------------------------------------------------------

def deit_distillation(student, teacher, labels, kind, alpha, tau, label_smoothing):
    """DeiT's DistillationLoss with outputs == outputs_kd (one head); returns (base, distill, total)."""
    base = F.cross_entropy(student, labels, label_smoothing=label_smoothing)
    if kind == "soft":
        distill = F.kl_div(F.log_softmax(student / tau, dim=1), F.log_softmax(teacher / tau, dim=1),
                           reduction="sum", log_target=True) * (tau * tau) / student.numel()
    else:
        distill = F.cross_entropy(student, teacher.argmax(dim=1))
    return base, distill, base * (1 - alpha) + distill * alpha


def loss_cases():
    cases = [("distill_soft_t1_a05", "soft", 0.5, 1.0), ("distill_soft_t3_a1", "soft", 1.0, 3.0),
             ("distill_hard_a05", "hard", 0.5, 1.0)]
    for name, kind, alpha, tau in cases:
        seed_for(name)
        student = torch.randn(4, 6, dtype=torch.float64) * 2
        teacher = torch.randn(4, 6, dtype=torch.float64) * 2
        labels = torch.randint(0, 6, (4,))
        attrs = {"distillation_type": kind, "alpha": alpha, "tau": tau, "label_smoothing": 0.1}
        for suffix, dtype in DTYPES.items():
            s = student.to(dtype).clone().requires_grad_(True)
            t = teacher.to(dtype)
            base, distill, total = deit_distillation(s, t, labels, kind, alpha, tau, 0.1)
            grads = grads_of(total, {"student": s})
            write_case(FOLDER, name, suffix, dtype, attrs, {"student": s, "teacher": t, "labels": labels},
                       {"base_loss": base, "distill_loss": distill, "loss": total}, grads)


# ---- optimizers -----------------------------------------------------------------------------------

OPTIM_SHAPES = {"weight": [4, 3], "bias": [3], "scale": [2, 2, 2]}
OPTIM_STEPS = 10


def optim_cases():
    adam_common = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8}
    cases = [
        ("optim_adamw", torch.optim.AdamW, dict(adam_common, optimizer="AdamW"), [0.05, 0.0]),
        ("optim_adam", torch.optim.Adam, dict(adam_common, optimizer="Adam"), [0.0, 0.0]),
        ("optim_sgd_momentum", torch.optim.SGD,
         {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False}, [0.0, 0.0]),
        ("optim_sgd_nesterov", torch.optim.SGD,
         {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True}, [0.0, 0.0]),
    ]
    for name, cls, hyper, (wd_decay, wd_rest) in cases:
        seed_for(name)
        init = {k: torch.randn(*s, dtype=torch.float64) for k, s in OPTIM_SHAPES.items()}
        grads = {f"grad_{k}_{step}": torch.randn(*s, dtype=torch.float64)
                 for step in range(1, OPTIM_STEPS + 1) for k, s in OPTIM_SHAPES.items()}
        groups = [{"params": ["weight"], "weight_decay": wd_decay}, {"params": ["bias", "scale"], "weight_decay": wd_rest}]
        attrs = dict(hyper, steps=OPTIM_STEPS, groups=groups)
        kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in hyper.items() if k != "optimizer"}
        for suffix, dtype in DTYPES.items():
            params = {k: v.to(dtype).clone().requires_grad_(True) for k, v in init.items()}
            opt = cls([{"params": [params[n] for n in g["params"]], "weight_decay": g["weight_decay"]} for g in groups],
                      foreach=False, **kwargs)
            after = {}
            for step in range(1, OPTIM_STEPS + 1):
                for k, p in params.items():
                    p.grad = grads[f"grad_{k}_{step}"].to(dtype).clone()
                opt.step()
                after.update({f"{k}_{step}": p.detach().clone() for k, p in params.items()})
            inputs = dict({k: v.to(dtype) for k, v in init.items()}, **{k: v.to(dtype) for k, v in grads.items()})
            write_case(FOLDER, name, suffix, dtype, attrs, inputs, after, {})


# ---- TLEG auxiliary net ---------------------------------------------------------------------------

def tleg_auxnet_cases():
    name = "tleg_auxnet"
    cfg = dict(VIT, depth=3)
    depth, pool, alpha, tau = cfg["depth"], "avg", 1.0, 1.0
    seed_for(name)
    drawn = {k: draw_param(k, s) for k, s in shared_shapes(cfg, pool).items()}
    for k, s in block_shapes(cfg).items():
        drawn[f"{k}.base"] = draw_param(k, s)
        drawn[f"{k}.slope"] = quantised_randn(*s, std=WEIGHT_STD)
    images, labels = draw_data(cfg)
    teacher = quantised_randn(cfg["batch"], cfg["num_classes"], std=2.0)
    attrs = dict(cfg, pool=pool, expansion="block i (0-based) = base + (i / depth) * slope",
                 distillation_type="soft", alpha=alpha, tau=tau, label_smoothing=0.1)
    for suffix, dtype in DTYPES.items():
        p = leaves(drawn, dtype)
        blocks = [{k: p[f"{k}.base"] + (i / depth) * p[f"{k}.slope"] for k in BLOCK_TENSORS} for i in range(depth)]
        logits = vit_forward(p, blocks, images.to(dtype), cfg, pool)
        _, _, loss = deit_distillation(logits, teacher.to(dtype), labels, "soft", alpha, tau, 0.1)
        grads = grads_of(loss, p)
        inputs = dict(p, images=images.to(dtype), labels=labels, teacher_logits=teacher.to(dtype))
        write_case(FOLDER, name, suffix, dtype, attrs, inputs, {"logits": logits, "loss": loss}, grads)


if __name__ == "__main__":
    vit_cases()
    loss_cases()
    optim_cases()
    tleg_auxnet_cases()
