"""Write the fixtures of `tleg fit` and `tleg expand` to fixtures/tleg/, independently of the TypeScript code.

A "trained" ViT with timm's module names and layouts, in plain torch (no timm): class-token pooling, depth 6,
blocks drawn near a bent line (so a line explains most of each tensor and two segments explain more).
Then, in PyTorch:
  fit       per element least squares through the blocks (normal equations), block i at x = i / L;
            with K segments, block i belongs to k = clamp(floor(x K), 0, K - 1) and sits at x - k/K;
            a segment holding one block gets slope 0. R² = 1 - SS_res / SS_tot per tensor kind, SS_tot
            around the mean over all blocks; relative residual sqrt(SS_res / sum W²).
  expand    block i of L = base[k] + (i/L - k/K) * slope[k] (K = 1: base + (i/L) * slope), in float32;
            everything else copied from the learngene.
  logits    the expanded state dict loaded with a strict load_state_dict into the timm-layout module and
            run in float64 on fixed images.

Files (all float32 safetensors, as a timm user would save them):
  vit_d6.safetensors         the trained ViT: model.state_dict(), no metadata (num_heads is not stored)
  gene_k1.safetensors        its fitted learngene (one line), in the learngene file format
  gene_k2.safetensors        its fitted learngene with two segments
  grown_k1_d9.safetensors    gene_k1 expanded to depth 9
  expected.json              config, R² and residuals, images, and the logits of the model and of expansions

Run: .venv-ref/bin/python test/reference/gen_tleg_cli.py
"""

import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import FIXTURES, quantised_randn, seed_for

OUT = os.path.join(FIXTURES, "tleg")
CFG = {"img_size": 8, "patch_size": 4, "in_chans": 3, "embed_dim": 8, "depth": 6, "num_heads": 2, "mlp_ratio": 4,
       "num_classes": 5, "ln_eps": 1e-6}
BLOCK_TENSORS = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                 "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                 "mlp.fc2.weight", "mlp.fc2.bias"]
# The learngene file format (tleg/README.md): this library's ViT config as JSON in __metadata__.
GENE_CONFIG = {"imgSize": 8, "inChans": 3, "patchSize": 4, "embedDim": 8, "depth": 6, "numHeads": 2, "mlpRatio": 4,
               "qkvBias": True, "numClasses": 5, "pool": "cls", "dropPathRate": 0, "lnEps": 1e-6}
EXPANSIONS = [  # (gene, depth, num_classes): what the test grows with `tleg expand`
    ("k1", 9, 5), ("k2", 5, 5), ("k1", 1, 5), ("k1", 3, 0),
]


# ---- a ViT with timm's module names (timm.models.vision_transformer, class token, no fc_norm) -----------

class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        hd = d // self.num_heads
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, hd).permute(2, 0, 3, 1, 4)
        attn = torch.softmax((q @ k.transpose(-2, -1)) * hd ** -0.5, dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio, num_classes, ln_eps):
        super().__init__()
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (img_size // patch_size) ** 2 + 1, embed_dim))
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio, ln_eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=ln_eps)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def forward(self, images):
        x = self.patch_embed(images)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def build(depth, num_classes, state):
    cfg = dict(CFG, depth=depth, num_classes=num_classes)
    model = VisionTransformer(**cfg).double().eval()
    model.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)  # every name and shape must match
    return model


# ---- the trained model --------------------------------------------------------------------------------

def trained_state():
    seed_for("tleg_cli_trained_vit")
    model = VisionTransformer(**CFG)
    state = {}
    depth = CFG["depth"]
    for name, p in model.state_dict().items():
        if not name.startswith("blocks."):
            mean = 1.0 if name == "norm.weight" else 0.0
            state[name] = quantised_randn(*p.shape, std=0.2, mean=mean)
    for name in BLOCK_TENSORS:
        shape = model.state_dict()[f"blocks.0.{name}"].shape
        gain = name.endswith("norm1.weight") or name.endswith("norm2.weight")
        base = quantised_randn(*shape, std=0.2, mean=1.0 if gain else 0.0)
        slope, bend = quantised_randn(*shape, std=0.3), quantised_randn(*shape, std=0.2)
        for i in range(depth):
            x = i / depth
            w = base + x * slope + abs(x - 0.5) * bend + quantised_randn(*shape, std=0.03)
            state[f"blocks.{i}.{name}"] = torch.round(w * 2 ** 10) / 2 ** 10  # exact in float32
    order = list(model.state_dict().keys())  # timm's order
    return {k: state[k].float() for k in order}


def save_file(tensors, path, metadata=None):
    """safetensors, written here so reruns give identical bytes (the library orders its header by hash)."""
    header, offset, chunks = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def fsum(t):
    """An exactly rounded sum: the same bits on every run, whatever torch's reduction order."""
    return math.fsum(t.reshape(-1).tolist())


# ---- fit and expansion in PyTorch ---------------------------------------------------------------------

def segment_of(x, segments):
    k = min(segments - 1, max(0, math.floor(x * segments)))
    return k, (x if segments == 1 else x - k / segments)


def least_squares_line(xs, ys):
    """Intercept and slope per column of ys [m, n] by the normal equations (XᵀX) [b, a] = Xᵀy, X = [1, x].

    Written with elementwise ops and a 2×2 inverse in Python floats: torch.linalg.lstsq gives the same
    answer but its last bit depends on memory alignment, and fixture reruns must be byte-identical.
    """
    m, sx, sxx = len(xs), math.fsum(xs), math.fsum(x * x for x in xs)
    sy = sum((ys[j] for j in range(1, m)), ys[0].clone())
    sxy = sum((xs[j] * ys[j] for j in range(1, m)), xs[0] * ys[0])
    det = m * sxx - sx * sx
    return (sxx * sy - sx * sxy) / det, (m * sxy - sx * sy) / det


def fit(state, segments):
    depth = CFG["depth"]
    groups = [[] for _ in range(segments)]
    for i in range(depth):
        k, offset = segment_of(i / depth, segments)
        groups[k].append((i, offset))
    base, slope, r2, resid = {}, {}, {}, {}
    all_res = all_tot = all_sq = 0.0
    for name in BLOCK_TENSORS:
        w = torch.stack([state[f"blocks.{i}.{name}"].double() for i in range(depth)])  # [L, ...]
        shape = w.shape[1:]
        y = w.reshape(depth, -1)
        bs, ss, fitted = [], [], torch.empty_like(y)
        for members in groups:
            rows = [i for i, _ in members]
            if len(members) == 1:
                b, a = y[rows[0]], torch.zeros_like(y[rows[0]])
            else:
                b, a = least_squares_line([off for _, off in members], y[rows])
            for i, off in members:
                fitted[i] = b + off * a
            bs.append(b.reshape(shape))
            ss.append(a.reshape(shape))
        ss_res = fsum((y - fitted) ** 2)
        ss_tot = fsum((y - sum(y[i] for i in range(depth)) / depth) ** 2)
        sq = fsum(y ** 2)
        r2[name] = 1.0 - ss_res / ss_tot
        resid[name] = math.sqrt(ss_res / sq)
        all_res, all_tot, all_sq = all_res + ss_res, all_tot + ss_tot, all_sq + sq
        base[name] = (bs[0] if segments == 1 else torch.stack(bs)).float()
        slope[name] = (ss[0] if segments == 1 else torch.stack(ss)).float()
    shared = {k: v for k, v in state.items() if not k.startswith("blocks.")}
    overall = {"r2": 1.0 - all_res / all_tot, "relative_residual": math.sqrt(all_res / all_sq)}
    return {"base": base, "slope": slope, "shared": shared, "segments": segments,
            "r2": r2, "relative_residual": resid, "overall": overall}


def save_gene(gene, path):
    tensors = {}
    for name in BLOCK_TENSORS:
        tensors[f"{name}.base"] = gene["base"][name].contiguous()
        tensors[f"{name}.slope"] = gene["slope"][name].contiguous()
    tensors.update(gene["shared"])
    meta = {"format": "tleg-learngene", "version": "1", "config": json.dumps(GENE_CONFIG), "segments": str(gene["segments"])}
    save_file(tensors, path, metadata=meta)


def expand(gene, depth, num_classes):
    """The descendant's state dict, float32, computed as a PyTorch user would: base + c * slope."""
    segments = gene["segments"]
    state = {k: v.clone() for k, v in gene["shared"].items() if num_classes > 0 or not k.startswith("head.")}
    for i in range(depth):
        k, offset = segment_of(i / depth, segments)
        for name in BLOCK_TENSORS:
            b = gene["base"][name] if segments == 1 else gene["base"][name][k]
            a = gene["slope"][name] if segments == 1 else gene["slope"][name][k]
            state[f"blocks.{i}.{name}"] = b + offset * a
    return state


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    state = trained_state()
    save_file(state, os.path.join(OUT, "vit_d6.safetensors"))
    genes = {"k1": fit(state, 1), "k2": fit(state, 2)}
    for key, gene in genes.items():
        save_gene(gene, os.path.join(OUT, f"gene_{key}.safetensors"))
    seed_for("tleg_cli_images")
    images = quantised_randn(3, CFG["in_chans"], CFG["img_size"], CFG["img_size"])
    with torch.no_grad():
        model_logits = build(CFG["depth"], CFG["num_classes"], state)(images)
        grown = []
        for key, depth, classes in EXPANSIONS:
            expanded = expand(genes[key], depth, classes)
            if (key, depth) == ("k1", 9):
                save_file(expanded, os.path.join(OUT, "grown_k1_d9.safetensors"))
            grown.append({"gene": f"gene_{key}.safetensors", "depth": depth, "num_classes": classes,
                          "logits": tensor_json(build(depth, classes, expanded)(images))})
    expected = {
        "note": "written by test/reference/gen_tleg_cli.py; logits in float64 from the float32 files",
        "config": GENE_CONFIG,
        "images": tensor_json(images),
        "model_logits": tensor_json(model_logits),
        "fits": {key: {"segments": g["segments"], "r2": g["r2"], "relative_residual": g["relative_residual"],
                       "overall": g["overall"]} for key, g in genes.items()},
        "expansions": grown,
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    sizes = {name: os.path.getsize(os.path.join(OUT, name)) for name in sorted(os.listdir(OUT))}
    print(json.dumps(sizes), "total", sum(sizes.values()), "bytes")
    print("R² k1", {k: round(v, 4) for k, v in genes["k1"]["r2"].items()})
    print("R² k2", {k: round(v, 4) for k, v in genes["k2"]["r2"].items()})


if __name__ == "__main__":
    main()
