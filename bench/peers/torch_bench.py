"""PyTorch timings for bench/peers/torch.ts: CPU, eager, at each requested thread count (torch.set_num_threads).

Reads {"threads": [1, n], "cases": [...], "vits": {key: {"case": "train" | "infer", "spec": {...}}}, "options": {...}}
as JSON on stdin (the kernel cases of bench/cases.ts with their "key", and each ViT row's network), writes
{"torch", "python", "results": {threads: {key: stats | {"error"} | {"skipped"}}}} as JSON on stdout.
Sampling is numpy_bench.py's (benchmark.js's rules). Kernel rows time the ATen call that autograd runs
(softmax backward, native_layer_norm and its backward on saved mean and rstd), as the engine's rows do.

The ViT is plain torch as a user (or timm's VisionTransformer) writes it: a stride-4 conv patch embedding,
a class token (with pool "cls") and learned positions, pre-norm blocks whose attention is
F.scaled_dot_product_attention (timm's default), exact GELU, a final norm and a linear head on the class token
(pool "cls") or on the mean of the tokens (pool "avg"); torch.optim.AdamW with its defaults, decaying every
parameter as the engine's bench does.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from numpy_bench import TooSlow, measure

EPS = 1e-5


def operand(shape):
    return torch.randn(shape, dtype=torch.float32)


def matmul_call(c):
    s = (lambda r, k: (c["batch"], r, k)) if c["batch"] > 1 else (lambda r, k: (r, k))
    A, B, G = operand(s(c["M"], c["K"])), operand(s(c["K"], c["N"])), operand(s(c["M"], c["N"]))
    if c["product"] == "A·B":
        return lambda: A @ B
    if c["product"] == "G·Bᵀ":
        return lambda: G @ B.mT  # dA, the transpose read as a view
    return lambda: A.mT @ G  # dB


def row_call(c):
    R, C = c["rows"], c["cols"]
    x, g = operand((R, C)), operand((R, C))
    if c["family"] == "softmax":
        if c["direction"] == "fwd":
            return lambda: torch.softmax(x, -1)
        y = torch.softmax(x, -1)
        return lambda: torch._softmax_backward_data(g, y, -1, torch.float32)
    w, b = operand((C,)), operand((C,))
    if c["direction"] == "fwd":
        return lambda: torch.native_layer_norm(x, [C], w, b, EPS)
    _, mean, rstd = torch.native_layer_norm(x, [C], w, b, EPS)
    return lambda: torch.ops.aten.native_layer_norm_backward(g, x, [C], mean, rstd, w, b, [True, True, True])


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, eps):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.fc1 = nn.Linear(dim, dim * mlp_ratio)
        self.fc2 = nn.Linear(dim * mlp_ratio, dim)

    def forward(self, x):
        B, T, D = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        o = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, T, D)
        x = x + self.proj(o)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class VisionTransformer(nn.Module):
    def __init__(self, v):
        super().__init__()
        D, P = v["embedDim"], v["patchSize"]
        self.pool = v["pool"]
        tokens = (v["imgSize"] // P) ** 2 + (1 if self.pool == "cls" else 0)
        self.patch_embed = nn.Conv2d(v["inChans"], D, P, P)
        self.cls_token = nn.Parameter(torch.randn(1, 1, D) * 0.02) if self.pool == "cls" else None
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, D) * 0.02)
        self.blocks = nn.Sequential(*[Block(D, v["numHeads"], v["mlpRatio"], v["eps"]) for _ in range(v["depth"])])
        self.norm = nn.LayerNorm(D, eps=v["eps"])
        self.head = nn.Linear(D, v["numClasses"])

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)  # [B, N, D]
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1)
        x = self.norm(self.blocks(x + self.pos_embed))
        return self.head(x[:, 0] if self.pool == "cls" else x.mean(1))


def vit_call(case, v):
    model = VisionTransformer(v)
    x = torch.rand(v["batch"], v["inChans"], v["imgSize"], v["imgSize"])
    labels = torch.randint(0, v["numClasses"], (v["batch"],))
    if case == "train":
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=v["lr"], weight_decay=v["weightDecay"])

        def step():
            optimizer.zero_grad()
            F.cross_entropy(model(x), labels).backward()
            optimizer.step()
        return step
    model.eval()

    def infer():
        with torch.no_grad():
            return model(x)
    return infer


def main():
    request = json.load(sys.stdin)
    options = request["options"]
    torch.manual_seed(0)
    jobs = [(c["key"], c["family"], lambda c=c: matmul_call(c) if c["family"] == "matmul" else row_call(c))
            for c in request["cases"]]
    jobs += [(key, "vit", lambda job=job: vit_call(job["case"], job["spec"])) for key, job in request.get("vits", {}).items()]
    results = {}
    for threads in request["threads"]:
        torch.set_num_threads(threads)
        mine = results[str(threads)] = {}
        spent = {}  # seconds per family, against options["budgetS"] as on the JavaScript side
        for key, family, prepare in jobs:
            if spent.get(family, 0.0) > options["budgetS"]:
                mine[key] = {"skipped": f'{family} time budget ({options["budgetS"]} s) spent'}
                continue
            t0 = time.perf_counter()
            try:
                mine[key] = measure(prepare(), options)
            except TooSlow as err:
                mine[key] = {"skipped": str(err)}
            except Exception as err:  # report per case, keep going
                mine[key] = {"error": f"{type(err).__name__}: {err}"}
            spent[family] = spent.get(family, 0.0) + time.perf_counter() - t0
    json.dump({"torch": torch.__version__, "python": sys.version.split()[0],
               "interop": torch.get_num_interop_threads(), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
