#!/usr/bin/python3
"""Reference values for package stats, computed with SciPy.

Usage: /usr/bin/python3 gen_stats_golden.py OUT.json
Covers the distributions behind the p-values over a grid that reaches
every branch, and two-sample tests on samples large enough for the
asymptotic paths.
"""
import json, sys
import numpy as np
from scipy import stats, special

out = sys.argv[1]
doc = {"generator": "scipy " + __import__("scipy").__version__ + ", numpy " + np.__version__}

kstwo = []
for n in [1, 2, 3, 5, 10, 12, 42, 100, 136, 140, 141, 545, 1000, 1867, 5000, 20000, 100000, 500000]:
    for d in [0.0005, 0.001, 0.003, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.75, 0.9, 0.99]:
        kstwo.append({"n": n, "d": d, "sf": float(stats.kstwo.sf(d, n))})
doc["kstwo_sf"] = kstwo

smirnov = []
for n in [1, 5, 20, 100, 1000, 1500, 20000]:
    for e in [0.01, 0.05, 0.1, 0.3, 0.5, 0.8]:
        smirnov.append({"n": n, "e": e, "sf": float(special.smirnov(n, e))})
doc["smirnov"] = smirnov

chi2 = []
for dof in [1, 2, 3, 7, 20, 150]:
    for x in [0.001, 0.5, 1.0, 3.84, 10.0, 30.0, 200.0]:
        chi2.append({"dof": dof, "x": x, "sf": float(stats.chi2.sf(x, dof))})
doc["chi2_sf"] = chi2

from scipy.stats._hypotests import _cdf_cvm_inf
doc["cvm_limit_cdf"] = [{"x": x, "cdf": float(_cdf_cvm_inf(x))}
                        for x in [0.004, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2.0, 3.0]]

rng = np.random.default_rng(20261128)
two = []
for (n, m, shift, dec, method) in [(12000, 10500, 0.02, 3, "auto"), (12000, 10500, 0.0, 3, "auto"),
                                   (30000, 30000, 0.015, 3, "auto"), (9000, 10000, 0.03, 3, "exact"),
                                   (10000, 10000, 0.03, 3, "exact"), (700, 301, 0.1, 6, "asymp"),
                                   (30, 4000, 0.3, 6, "auto")]:
    a = np.round(rng.normal(0, 1, n), dec)
    b = np.round(rng.normal(shift, 1, m), dec)
    ks = stats.ks_2samp(a, b, method=method)
    mw = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    cvm = stats.cramervonmises_2samp(a, b, method="asymptotic")
    two.append({"method": method, "x": a.tolist(), "y": b.tolist(),
                "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
                "mw_u1": float(mw.statistic), "mw_pvalue": float(mw.pvalue),
                "cvm_statistic": float(cvm.statistic), "cvm_pvalue": float(cvm.pvalue)})
doc["two_sample"] = two

with open(out, "w") as fh:
    json.dump(doc, fh, separators=(",", ":"))
print(out)
