"""Checks that a file written by our writer (model/io/safetensors.ts) loads in the reference implementation.

    # fixtures/safetensors/written_by_ts.safetensors is what our writer produces: io-safetensors.test.ts
    # checks, byte for byte, that it still does (rewrite it from that test's TS_WRITTEN if the format changes)
    .venv-ref/bin/python test/reference/verify_safetensors.py [path]

The expected contents mirror TS_WRITTEN in test/model/io-safetensors.test.ts; change both together.
"""
import math
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

DEFAULT = Path(__file__).resolve().parent / "fixtures" / "safetensors" / "written_by_ts.safetensors"

EXPECTED = {
    "f64": (torch.float64, [3], [math.pi, -0.0, 1e300]),
    "f32": (torch.float32, [2, 3], [i * 0.5 - 1 for i in range(6)]),
    "i32": (torch.int32, [2, 2], [-(2**31), 2**31 - 1, 0, -1]),
    "scalar": (torch.float32, [], [3.25]),
    "empty": (torch.float32, [0, 4], []),
    "blocks.0.mlp.fc1.bias": (torch.float32, [3], [0.1, -0.2, 1e-30]),
}
METADATA = {"format": "pt", "writer": "tleg-ts"}


def same(a: float, b: float, dtype: torch.dtype) -> bool:
    if dtype == torch.float32:
        b = torch.tensor(b, dtype=torch.float32).item()  # the float32 rounding the TS side stored
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    assert metadata == METADATA, f"metadata: expected {METADATA}, got {metadata}"
    assert set(tensors) == set(EXPECTED), f"names: expected {sorted(EXPECTED)}, got {sorted(tensors)}"
    for name, (dtype, shape, values) in EXPECTED.items():
        t = tensors[name]
        assert t.dtype == dtype, f"{name}: dtype {t.dtype}, expected {dtype}"
        assert list(t.shape) == shape, f"{name}: shape {list(t.shape)}, expected {shape}"
        got = t.reshape(-1).tolist()
        assert len(got) == len(values) and all(same(a, b, dtype) for a, b in zip(got, values)), \
            f"{name}: values {got}, expected {values}"
    print(f"OK: {path} loads in safetensors {__import__('safetensors').__version__} / torch {torch.__version__}: "
          f"{len(tensors)} tensors, metadata {metadata}")


if __name__ == "__main__":
    main()
