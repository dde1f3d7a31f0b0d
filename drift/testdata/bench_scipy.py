#!/usr/bin/python3
"""Times SciPy's ks_2samp and a NumPy histogram PSI on the same data as the
Go benchmarks in bench_test.go, and prints the times and answers as JSON.

Usage: /usr/bin/python3 bench_scipy.py REFERENCE.f64 CURRENT.f64 REPEATS
The files hold little-endian float64 values. Each operation runs REPEATS
times; the best time is reported.

With REPEATS "serve", it reads one operation name ("ks" or "psi") per line
from standard input, runs it once and prints its time and answer as one
JSON line, so that the caller can alternate its own runs with SciPy's.
"""
import json, sys, time
import numpy as np
import scipy
from scipy import stats

ref = np.fromfile(sys.argv[1], dtype="<f8")
cur = np.fromfile(sys.argv[2], dtype="<f8")
repeats = 0 if sys.argv[3] == "serve" else int(sys.argv[3])


def psi(a, b):
    # The golden file's conventions: deciles of the reference (linear),
    # duplicates dropped, a value on an edge goes right, empty shares 1e-4.
    edges = np.unique(np.quantile(a, np.linspace(0, 1, 11)[1:-1]))
    ra = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
    rb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
    p, q = ra / ra.sum(), rb / rb.sum()
    p, q = np.where(p == 0, 1e-4, p), np.where(q == 0, 1e-4, q)
    return float(np.sum((q - p) * np.log(q / p)))


def best(f):
    out, t = None, float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        t = min(t, time.perf_counter() - t0)
    return out, t


if repeats == 0:
    ops = {"ks": lambda: stats.ks_2samp(ref, cur, method="auto"), "psi": lambda: psi(ref, cur)}
    for line in sys.stdin:
        op = line.strip()
        t0 = time.perf_counter()
        out = ops[op]()
        t = time.perf_counter() - t0
        ans = {"ks_statistic": float(out.statistic), "ks_pvalue": float(out.pvalue)} if op == "ks" else {"psi": out}
        print(json.dumps({"op": op, "seconds": t, **ans}), flush=True)
    sys.exit(0)

ks, ks_t = best(lambda: stats.ks_2samp(ref, cur, method="auto"))
p, psi_t = best(lambda: psi(ref, cur))
print(json.dumps({
    "scipy": scipy.__version__, "numpy": np.__version__,
    "ks_seconds": ks_t, "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
    "psi_seconds": psi_t, "psi": p,
}))
