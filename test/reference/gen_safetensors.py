"""Writes safetensors fixtures with the reference implementation, for test/model/io-safetensors.test.ts.

    .venv-ref/bin/python test/reference/gen_safetensors.py

Outputs, in test/reference/fixtures/safetensors/:
  torch.safetensors          written by safetensors.torch.save_file: F32, F64, I32, I64, F16, BF16, U8, I8, I16, BOOL,
                             a rank-0 and a zero-size tensor, and metadata
  torch.expected.json        what our reader must return for it: dtype after reading, shape, flat values
                             (floats as numbers, or "nan", "inf", "-inf", "-0.0")
  i64_out_of_range.safetensors  an I64 tensor holding 2**31, which our int32 reader must reject
"""
import json
import math
from pathlib import Path

import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent / "fixtures" / "safetensors"

# What each torch dtype becomes in our reader (model/io/safetensors.ts).
READ_AS = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float32", torch.bfloat16: "float32",
    torch.int32: "int32", torch.int64: "int32", torch.uint8: "int32", torch.int8: "int32", torch.int16: "int32",
    torch.bool: "int32",
}


def encode(x: float):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0.0"
    return x


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    inf, nan = float("inf"), float("nan")
    tensors = {
        "f32": torch.randn(2, 3, 4, generator=g),
        "f64": torch.tensor([math.pi, -math.e, 1e-300, -1e300, 5e-324, -0.0], dtype=torch.float64),
        "i32": torch.tensor([[-(2**31), 2**31 - 1], [0, -1], [7, 42]], dtype=torch.int32),
        "i64": torch.tensor([-(2**31), 2**31 - 1, 0, -5], dtype=torch.int64),
        # F16: zeros, normals, max, smallest subnormal, largest subnormal, smallest normal, specials, rounding.
        "f16": torch.tensor([0.0, -0.0, 1.0, -2.0, 65504.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14, inf, -inf, nan,
                             0.1, 3.140625, -1.5 * 2.0**-20], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -0.5, 3.0e38, 1e-40, -inf, nan, 0.1], dtype=torch.bfloat16),
        "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "i16": torch.tensor([-32768, 32767, 3], dtype=torch.int16),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "blocks.0.attn.qkv.weight": torch.arange(6, dtype=torch.float32).reshape(3, 2) / 8,
    }
    metadata = {"format": "pt", "source": "gen_safetensors.py"}
    save_file(tensors, str(OUT / "torch.safetensors"), metadata=metadata)

    expected = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        # Widen to float64/int64 in torch: the exact value our reader must produce (f16/bf16 -> f32 is exact).
        flat = t.reshape(-1)
        values = [encode(v) for v in flat.double().tolist()] if t.is_floating_point() else [int(v) for v in flat.tolist()]
        expected["tensors"][name] = {"file_dtype": str(t.dtype), "dtype": READ_AS[t.dtype], "shape": list(t.shape),
                                     "values": values}
    (OUT / "torch.expected.json").write_text(json.dumps(expected, indent=1) + "\n")

    save_file({"big": torch.tensor([1, 2**31], dtype=torch.int64)}, str(OUT / "i64_out_of_range.safetensors"))
    print(f"wrote fixtures to {OUT}")


if __name__ == "__main__":
    main()
