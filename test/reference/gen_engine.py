"""Write engine op fixtures (forward and backward from PyTorch) to fixtures/engine/.

Each case is written twice, float64 (_f64) and float32 (_f32), from the same float64-drawn inputs.
Gradients are of (out * grad_out).sum(), with grad_out stored among the inputs.

Run: .venv-ref/bin/python test/reference/gen_engine.py
"""

import warnings

import torch
import torch.nn.functional as F

from common import DTYPES, grads_of, leaves, seed_for, write_case

FOLDER = "engine"


def run_case(name, attrs, make_inputs, forward, grad_wrt):
    """make_inputs() draws float64 inputs; forward(inputs) gives the output; grad_wrt names the inputs to differentiate."""
    seed_for(name)
    drawn = make_inputs()
    out64 = forward(leaves(drawn, torch.float64))
    grad_out = torch.randn(out64.shape, dtype=torch.float64)
    paths = []
    for suffix, dtype in DTYPES.items():
        x = leaves(drawn, dtype)
        for k, v in x.items():
            if k not in grad_wrt and v.is_floating_point():
                v.requires_grad_(False)
        out = forward(x)
        g = grad_out.to(dtype)
        grads = grads_of((out * g).sum(), {k: x[k] for k in grad_wrt})
        inputs = dict(x)
        inputs["grad_out"] = g
        paths.append(write_case(FOLDER, name, suffix, dtype, attrs, inputs, {"y": out}, grads))
    return paths


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def matmul_cases():
    shapes = {
        "matmul_2d": ([5, 7], [7, 3]),
        "matmul_batched_2d": ([2, 4, 5], [5, 3]),
        "matmul_broadcast": ([2, 1, 4, 5], [3, 5, 6]),
    }
    for name, (sa, sb) in shapes.items():
        run_case(name, {}, lambda sa=sa, sb=sb: {"a": randn(*sa), "b": randn(*sb)},
                 lambda x: x["a"] @ x["b"], ["a", "b"])


def softmax_cases():
    for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        for tag, shape, dim in (("last", [4, 9], -1), ("dim1", [2, 3, 5], 1)):
            run_case(f"{op}_{tag}", {"dim": dim}, lambda shape=shape: {"x": randn(*shape) * 2},
                     lambda x, fn=fn, dim=dim: fn(x["x"], dim=dim), ["x"])


def layer_norm_cases():
    for tag, shape, norm_shape in (("last", [6, 10], [10]), ("last2", [3, 4, 5], [4, 5])):
        def make(shape=shape, norm_shape=norm_shape):
            return {"x": randn(*shape) * 1.5 + 0.5, "weight": 1 + 0.3 * randn(*norm_shape),
                    "bias": 0.3 * randn(*norm_shape)}
        run_case(f"layer_norm_{tag}", {"normalized_shape": norm_shape, "eps": 1e-5}, make,
                 lambda x, norm_shape=norm_shape: F.layer_norm(x["x"], norm_shape, x["weight"], x["bias"], eps=1e-5),
                 ["x", "weight", "bias"])


def gelu_cases():
    for approximate, name in (("none", "gelu_erf"), ("tanh", "gelu_tanh")):
        run_case(name, {"approximate": approximate},
                 lambda: {"x": torch.rand(50, dtype=torch.float64) * 10 - 5},
                 lambda x, a=approximate: F.gelu(x["x"], approximate=a), ["x"])


def cross_entropy_cases():
    n, c = 6, 5
    for kind in ("index", "prob"):
        for smoothing in (0.0, 0.1):
            for reduction in ("mean", "sum", "none"):
                def make(kind=kind):
                    logits = randn(n, c) * 2
                    if kind == "index":
                        target = torch.randint(0, c, (n,))
                    else:
                        target = torch.softmax(randn(n, c) * 2, dim=1)
                    return {"input": logits, "target": target}
                ls = "0" if smoothing == 0 else "01"
                run_case(f"cross_entropy_{kind}_ls{ls}_{reduction}",
                         {"label_smoothing": smoothing, "reduction": reduction, "target_kind": kind}, make,
                         lambda x, s=smoothing, r=reduction: F.cross_entropy(
                             x["input"], x["target"], label_smoothing=s, reduction=r),
                         ["input"])


def kl_div_cases():
    n, c = 4, 5
    # reduction='mean' is the element mean, as PyTorch computes it today; its deprecation warning is expected.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    for log_target in (False, True):
        for reduction in ("sum", "batchmean", "mean"):
            def make(log_target=log_target):
                inp = torch.log_softmax(randn(n, c) * 2, dim=1)
                tgt = torch.log_softmax(randn(n, c) * 2, dim=1)
                return {"input": inp, "target": tgt if log_target else tgt.exp()}
            run_case(f"kl_div_{reduction}_{'logtarget' if log_target else 'probtarget'}",
                     {"reduction": reduction, "log_target": log_target}, make,
                     lambda x, r=reduction, lt=log_target: F.kl_div(x["input"], x["target"], reduction=r, log_target=lt),
                     ["input", "target"])


if __name__ == "__main__":
    matmul_cases()
    softmax_cases()
    layer_norm_cases()
    gelu_cases()
    cross_entropy_cases()
    kl_div_cases()
