"""NumPy timings for bench/peers/numpy.ts: the machine's practical limit (BLAS matmul, vectorised row ops).

Reads {"cases": [...], "options": {...}} as JSON on stdin (the kernel cases of bench/cases.ts, each with
its "key"), writes {"numpy", "blas", "results": {key: stats | {"error": text}}} as JSON on stdout.
Sampling follows benchmark.js: warm-up calls excluded, each sample loops the call until it lasts
minTime, samples are taken until maxTime has passed and there are minSamples; rme is the 95% margin of
error of the mean (Student's t) relative to the mean, in percent.
"""
import json
import math
import sys
import time

import numpy as np

# benchmark.js's two-sided 95% critical values of Student's t, by degrees of freedom.
T_TABLE = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
           2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]
EPS = 1e-5


class TooSlow(Exception):
    pass


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(fn, o):
    last = 0.0
    last = timed(fn)
    if last > o["maxWarmupS"]:
        raise TooSlow(f'warm-up call took {last:.1f} s (> {o["maxWarmupS"]} s): not timed')
    for _ in range(1, o["warmup"]):
        if last > o["slowCallS"]:
            break  # one warm-up call is enough for a slow call
        last = timed(fn)
    if last > o["slowCallS"]:
        times = [timed(fn) for _ in range(1 if last > o["singleCallS"] else max(1, o["manualSamples"]))]
        return {"meanS": sum(times) / len(times), "rme": None, "minS": min(times), "maxS": max(times),
                "samples": len(times), "how": "manual"}
    count = max(1, math.ceil(o["minTime"] / max(last, 1e-7)))
    samples = []
    start = time.perf_counter()
    while len(samples) < o["minSamples"] or time.perf_counter() - start <= o["maxTime"]:
        t0 = time.perf_counter()
        for _ in range(count):
            fn()
        samples.append((time.perf_counter() - t0) / count)
    n = len(samples)
    mean = sum(samples) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in samples) / (n - 1)) if n > 1 else 0.0
    t = T_TABLE[n - 2] if 2 <= n <= 31 else 1.96
    rme = (sd / math.sqrt(n)) * t / mean * 100 if n > 1 else 0.0
    return {"meanS": mean, "rme": rme, "minS": min(samples), "maxS": max(samples), "samples": n,
            "how": "perf_counter"}


def operand(rng, shape):
    return rng.standard_normal(shape, dtype=np.float32)


def swap(a):
    return np.swapaxes(a, -1, -2)


def matmul_call(c, rng):
    s = (lambda r, k: (c["batch"], r, k)) if c["batch"] > 1 else (lambda r, k: (r, k))
    A, B, G = operand(rng, s(c["M"], c["K"])), operand(rng, s(c["K"], c["N"])), operand(rng, s(c["M"], c["N"]))
    if c["product"] == "A·B":
        return lambda: A @ B
    if c["product"] == "G·Bᵀ":
        return lambda: G @ swap(B)  # dA
    return lambda: swap(A) @ G  # dB


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def row_call(c, rng):
    x, g = operand(rng, (c["rows"], c["cols"])), operand(rng, (c["rows"], c["cols"]))
    if c["family"] == "softmax":
        if c["direction"] == "fwd":
            return lambda: softmax(x)
        y = softmax(x)

        def softmax_backward():  # d softmax: y (g - sum(g y))
            return y * (g - (g * y).sum(axis=-1, keepdims=True))
        return softmax_backward
    w, b = operand(rng, (c["cols"],)), operand(rng, (c["cols"],))
    mean = x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + EPS)
    if c["direction"] == "fwd":
        def layernorm():
            mu = x.mean(axis=-1, keepdims=True)
            r = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + EPS)
            return (x - mu) * r * w + b, mu, r
        return layernorm

    def layernorm_backward():  # dx = rstd (gw - mean gw - xhat mean(gw xhat)); dw = sum g xhat; db = sum g
        xhat = (x - mean) * rstd
        gw = g * w
        dx = rstd * (gw - gw.mean(axis=-1, keepdims=True) - xhat * (gw * xhat).mean(axis=-1, keepdims=True))
        return dx, (g * xhat).sum(axis=0), g.sum(axis=0)
    return layernorm_backward


def blas_name():
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f'{blas.get("name", "?")} {blas.get("version", "")}'.strip()
    except Exception:  # older numpy: no dict mode
        return "unknown"


def main():
    request = json.load(sys.stdin)
    options = request["options"]
    rng = np.random.default_rng(0)
    results = {}
    spent = {}  # seconds per family, against options["budgetS"] as on the JavaScript side
    for c in request["cases"]:
        family = c["family"]
        if spent.get(family, 0.0) > options["budgetS"]:
            results[c["key"]] = {"skipped": f'{family} time budget ({options["budgetS"]} s) spent'}
            continue
        t0 = time.perf_counter()
        try:
            call = matmul_call(c, rng) if family == "matmul" else row_call(c, rng)
            results[c["key"]] = measure(call, options)
        except TooSlow as err:
            results[c["key"]] = {"skipped": str(err)}
        except Exception as err:  # report per case, keep going
            results[c["key"]] = {"error": f"{type(err).__name__}: {err}"}
        spent[family] = spent.get(family, 0.0) + time.perf_counter() - t0
    json.dump({"numpy": np.__version__, "blas": blas_name(), "python": sys.version.split()[0], "results": results},
              sys.stdout)


if __name__ == "__main__":
    main()
