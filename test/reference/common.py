"""Shared helpers for the fixture generators: seeding, quantised random values, and the JSON writer.

A fixture file is one case:
  { "name", "dtype", "attrs", "inputs", "outputs", "grads" }
where every tensor is {"shape": [...], "data": [flat row-major numbers]} (a scalar has shape [] and one
number in data) and an integer tensor also carries "dtype": "int64".
"""

import json
import math
import os
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
MAX_FILE_BYTES = 300 * 1024

DTYPES = {"f64": torch.float64, "f32": torch.float32}
DTYPE_NAMES = {torch.float64: "float64", torch.float32: "float32"}

# One thread, so float32 reductions run in the same order on every machine and reruns give identical files.
torch.set_num_threads(1)


def seed_for(name):
    """A fixed seed per case name, so adding or reordering cases never changes another case's data."""
    seed = zlib.crc32(name.encode("utf-8"))
    torch.manual_seed(seed)
    return seed


def quantised_randn(*shape, std=1.0, mean=0.0, step=2.0 ** -10):
    """Normal values rounded to multiples of `step` (a power of two).

    Such values are exact in float32 and float64 alike and print in few digits, which keeps the
    large model fixtures under the size limit while the float32 and float64 cases share their inputs.
    """
    x = torch.randn(*shape, dtype=torch.float64) * std + mean
    return torch.round(x / step) * step


def tensor_json(t):
    t = t.detach().cpu()
    if t.dtype in (torch.float64, torch.float32):
        # float32 values widen to Python floats exactly; repr then round-trips to the same bits.
        data = [float(v) for v in t.reshape(-1).tolist()]
        bad = [v for v in data if not math.isfinite(v)]
        if bad:
            raise ValueError(f"tensor_json: non-finite value {bad[0]} in tensor of shape {list(t.shape)}")
        return {"shape": list(t.shape), "data": data}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.reshape(-1).tolist()]}
    raise TypeError(f"tensor_json: unsupported dtype {t.dtype}")


def write_case(folder, name, suffix, dtype, attrs, inputs, outputs, grads):
    """Write fixtures/<folder>/<name>_<suffix>.json and return its path."""
    case = {
        "name": name,
        "dtype": DTYPE_NAMES[dtype],
        "attrs": attrs,
        "inputs": {k: tensor_json(v) for k, v in inputs.items()},
        "outputs": {k: tensor_json(v) for k, v in outputs.items()},
        "grads": {k: tensor_json(v) for k, v in grads.items()},
    }
    out_dir = os.path.join(FIXTURES, folder)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}_{suffix}.json")
    text = json.dumps(case, separators=(",", ":"), allow_nan=False)
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(f"write_case: {path} would be {len(text)} bytes, over the {MAX_FILE_BYTES} byte limit")
    with open(path, "w") as f:
        f.write(text)
        f.write("\n")
    return path


def leaves(tensors, dtype):
    """Float tensors cast to `dtype` as fresh leaves that require grad; integer tensors pass through."""
    out = {}
    for k, v in tensors.items():
        if v.is_floating_point():
            out[k] = v.detach().to(dtype).clone().requires_grad_(True)
        else:
            out[k] = v.detach().clone()
    return out


def grads_of(scalar, tensors):
    """d scalar / d each tensor that requires grad, in the dict's order."""
    names = [k for k, v in tensors.items() if isinstance(v, torch.Tensor) and v.requires_grad]
    gs = torch.autograd.grad(scalar, [tensors[k] for k in names])
    return dict(zip(names, gs))
