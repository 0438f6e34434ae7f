"""Fit the polynomial of the GELU kernels' short path (engine/backend/cpu/wasm/gelu32-kernel.ts, SCALED_TAIL).

For a = |x| ≤ 2.5 the kernel computes Φ(−a) = exp(−a²/2) · Q(a), with Q(a) = Φ(−a) · exp(a²/2) (Mills' ratio
times the normal density's constant): smooth, falling from 0.5 to about 0.14. Q is a polynomial in u = a − 1.5:
centred, so its terms stay small where Q does and float32 evaluation loses little (in a itself the terms
alternate and cancel at a = 2.5). A product replaces the division of the earlier Φ(−a) = exp(−a²/2) / R(a).
This fits Q by iteratively reweighted least squares on Chebyshev nodes (towards the minimax relative error),
rounds the coefficients to float32, and reports the fit's relative error in float64 and the error of the kernel's
whole short path emulated in float32 (exp and polynomial by Estrin's scheme, as the kernel orders them), forward
and backward, with mul then add and with fused multiply-adds. Not a fixture: the coefficients are copied into
the kernel by hand; the kernel's tests hold it to 1e-6 against float64.

Run: .venv-ref/bin/python test/reference/fit_gelu_short_path.py
"""
import math

import numpy as np

LIMIT, CENTER, DEGREE, NODES = 2.5, 1.5, 10, 800
f32 = np.float32
# the kernel's exp: e^r on |r| ≤ ln2/2 (XNNPACK's rr2-p5 coefficients), n·LN2_HI exact
EXP_POLY = [1, 0.9999997019767761, 0.4999915063381195, 0.16667652130126953, 0.04189782217144966, 0.008289290592074394]
LN2_HI, LN2_LO = f32(0.693359375), f32(-2.12194440e-4)


def scaled_tail(a):
    return 0.5 * math.erfc(a / math.sqrt(2)) * math.exp(a * a / 2)


def madd(a, b, c, fused):
    """a·b + c in float32: rounded once (a fused multiply-add) or twice."""
    if fused:
        return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(f32)
    return (a * b).astype(f32) + c


def estrin(coef, t, fused):
    """Σ coef[i] tⁱ in float32 as the kernel's estrin() orders it (lowest degree first)."""
    powers = [t]
    m = 2
    while m < len(coef):
        powers.append((powers[-1] * powers[-1]).astype(f32))
        m *= 2

    def emit(lo, n):
        if n == 1:
            return np.full_like(t, coef[lo])
        level = 0
        while (2 << level) < n:
            level += 1
        half = 1 << level
        return madd(emit(lo + half, n - half), powers[level], emit(lo, half), fused)
    return emit(0, len(coef))


def short_path(x, coef, fused):
    """The kernel's fastStep in float32: gelu(x) and gelu'(x)."""
    a = np.abs(x)
    a2 = (a * a).astype(f32)
    e = (a2 * f32(-0.5)).astype(f32)
    n = np.round((a2 * f32(-0.5 * math.log2(math.e))).astype(f32))  # ties to even, as f32x4.nearest
    r = madd(n, np.full_like(n, -LN2_HI), e, fused)
    r = madd(n, np.full_like(n, -LN2_LO), r, fused)
    ex = (estrin([f32(c) for c in EXP_POLY], r, fused) * np.ldexp(f32(1), n.astype(np.int32))).astype(f32)
    q = (ex * estrin(coef, (a - f32(CENTER)).astype(f32), fused)).astype(f32)
    phi = np.where(x < 0, q, (f32(1) - q).astype(f32))
    y = (x * phi).astype(f32)
    d = (phi + ((x * ex).astype(f32) * f32(1 / math.sqrt(2 * math.pi))).astype(f32)).astype(f32)
    return y, d


def main():
    xs = (np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) + 1) / 2 * LIMIT
    ys = np.array([scaled_tail(x) for x in xs])
    basis = np.vander(xs - CENTER, DEGREE + 1, increasing=True) / ys[:, None]
    coef, *_ = np.linalg.lstsq(basis, np.ones(NODES), rcond=None)
    for _ in range(80):
        err = basis @ coef - 1
        w = np.sqrt(np.abs(err) + 1e-15)
        coef, *_ = np.linalg.lstsq(basis * w[:, None], w, rcond=None)
    coef32 = coef.astype(f32)
    grid = np.linspace(0, LIMIT, 20001)
    truth = np.array([scaled_tail(x) for x in grid])
    fit_err = np.max(np.abs(np.vander(grid - CENTER, DEGREE + 1, increasing=True) @ coef32.astype(np.float64) / truth - 1))
    print("SCALED_TAIL =", [float(c) for c in coef32])
    print(f"fit, float64: {fit_err:.2e} relative")
    x = np.linspace(-LIMIT, LIMIT, 400001).astype(f32)
    x64 = x.astype(np.float64)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x64])
    xpdf = x64 * np.exp(-x64 * x64 / 2) / math.sqrt(2 * math.pi)
    for fused in (False, True):
        y, d = short_path(x, coef32, fused)
        fwd = np.max(np.abs(y - x64 * cdf) / np.maximum(np.abs(x64 * cdf), 1e-30))
        bwd = np.max(np.abs(d - (cdf + xpdf)) / (cdf + np.abs(xpdf)))
        print(f"short path in float32, {'fused multiply-add' if fused else 'mul then add'}: forward {fwd:.2e}, backward {bwd:.2e} relative")


if __name__ == "__main__":
    main()
