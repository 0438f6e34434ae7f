"""Fit the polynomial of the GELU kernels' short path (engine/backend/cpu/wasm/gelu32-kernel.ts, RECIPROCAL_MILLS).

For a = |x| ≤ 2.5 the kernel computes Φ(−a) = exp(−a²/2) / R(a), with R(a) = exp(−a²/2) / Φ(−a) (the reciprocal
of Mills' ratio, over √(2π)): smooth, rising from 2 to about 7, so a polynomial evaluated in float32 loses little.
This fits R by iteratively reweighted least squares on Chebyshev nodes (towards the minimax relative error),
rounds the coefficients to float32, and reports the fit's relative error in float64 and that of the kernel's
float32 Estrin evaluation (mul then add, the kernel's non-fused build). Not a fixture: the coefficients are
copied into the kernel by hand; the kernel's tests hold the result to 1e-6 against float64.

Run: .venv-ref/bin/python test/reference/fit_gelu_short_path.py
"""
import math

import numpy as np

LIMIT, DEGREE, NODES = 2.5, 8, 600


def reciprocal_mills(a):
    return math.exp(-a * a / 2) / (0.5 * math.erfc(a / math.sqrt(2)))


def estrin_f32(coef, t):
    """Σ coef[i] tⁱ in float32 as the kernel's estrin() orders it (lowest degree first)."""
    f = np.float32
    powers = [f(t)]
    m = 2
    while m < len(coef):
        powers.append(f(powers[-1] * powers[-1]))
        m *= 2

    def emit(lo, n):
        if n == 1:
            return f(coef[lo])
        level = 0
        while (2 << level) < n:
            level += 1
        half = 1 << level
        return f(emit(lo, half) + f(emit(lo + half, n - half) * powers[level]))
    return emit(0, len(coef))


def main():
    xs = (np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) + 1) / 2 * LIMIT
    ys = np.array([reciprocal_mills(x) for x in xs])
    basis = np.vander(xs, DEGREE + 1, increasing=True) / ys[:, None]
    coef, *_ = np.linalg.lstsq(basis, np.ones(NODES), rcond=None)
    for _ in range(60):
        err = basis @ coef - 1
        w = np.sqrt(np.abs(err) + 1e-14)
        coef, *_ = np.linalg.lstsq(basis * w[:, None], w, rcond=None)
    coef32 = coef.astype(np.float32)
    grid = np.linspace(0, LIMIT, 20001)
    truth = np.array([reciprocal_mills(x) for x in grid])
    fit_err = np.max(np.abs(np.vander(grid, DEGREE + 1, increasing=True) @ coef32.astype(np.float64) / truth - 1))
    grid32 = grid.astype(np.float32)
    eval_err = max(abs(float(estrin_f32(coef32, a)) / reciprocal_mills(float(a)) - 1) for a in grid32)
    print("RECIPROCAL_MILLS =", [float(c) for c in coef32])
    print(f"fit, float64: {fit_err:.2e} relative; evaluated in float32: {eval_err:.2e} relative")


if __name__ == "__main__":
    main()
