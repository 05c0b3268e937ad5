"""SciPy peer of electron/engine/inference/siteLearning (OrthoTwin issue 23).

usage: python3 logisticScipyPeer.py <cohort.json> <out.json>

cohort.json: {"X": n x p, "y": n 0/1, "lambdas": [...], "scores": n}
For every lambda, fits the ridge-penalised logistic regression on the RAW
scale with scipy.optimize.minimize (Newton-CG, analytic gradient and
Hessian): minimises  sum(log(1 + exp(eta)) - y*eta) + lambda/2 * sum((b_j*s_j)^2)
with eta = b0 + X b and s_j the column's standard deviation (divisor n):
the same objective the engine minimises on standardised columns, reached
here without standardising. Newton-CG stops on its step size, so its result is then polished by exact
Newton steps (numpy.linalg.solve) until the step is under 1e-14; both the
minimize result ("coefMinimize") and the polished one ("coef") are written.
Standard errors: sqrt(diag(inv(H))) of the
penalised raw-scale Hessian X1' W X1 + lambda*diag(0, s^2).
AUC of the given scores: scipy.stats.mannwhitneyu's U of the events
against the non-events, divided by n1*n0 (ties count 1/2).
Writes {"scipy": version, "fits": [{lambda, coef, se, nit, success}], "auc": ...}.
"""
import json
import sys

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import mannwhitneyu

src, dst = sys.argv[1], sys.argv[2]
with open(src) as fh:
    d = json.load(fh)
X = np.asarray(d["X"], dtype=float)
y = np.asarray(d["y"], dtype=float)
n, p = X.shape
X1 = np.hstack([np.ones((n, 1)), X])
s2 = np.concatenate([[0.0], X.std(axis=0) ** 2])  # numpy's std: divisor n


def make(lam):
    def f(b):
        eta = X1 @ b
        return np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * lam * np.sum(s2 * b * b)

    def g(b):
        return X1.T @ (expit(X1 @ b) - y) + lam * s2 * b

    def h(b):
        m = expit(X1 @ b)
        return (X1.T * (m * (1 - m))) @ X1 + lam * np.diag(s2)

    return f, g, h


fits = []
for lam in d["lambdas"]:
    f, g, h = make(lam)
    b0 = np.zeros(p + 1)
    r = minimize(f, b0, jac=g, hess=h, method="Newton-CG", options={"xtol": 1e-14, "maxiter": 500})
    # polish: Newton-CG's stopping rule is on the step; finish with exact Newton steps until the gradient vanishes
    b = r.x
    for _ in range(20):
        step = np.linalg.solve(h(b), g(b))
        b = b - step
        if np.max(np.abs(step)) < 1e-14:
            break
    cov = np.linalg.inv(h(b))
    fits.append({"lambda": lam, "coef": b.tolist(), "coefMinimize": r.x.tolist(), "se": np.sqrt(np.diag(cov)).tolist(), "nit": int(r.nit),
                 "success": bool(r.success), "gradient": float(np.max(np.abs(g(b))))})

sc = np.asarray(d["scores"], dtype=float)
ev, ne = sc[y == 1], sc[y == 0]
u = mannwhitneyu(ev, ne, alternative="two-sided").statistic
with open(dst, "w") as fh:
    json.dump({"scipy": scipy.__version__, "fits": fits, "auc": float(u) / (len(ev) * len(ne))}, fh)
