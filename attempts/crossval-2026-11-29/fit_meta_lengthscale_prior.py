"""Attempt, not kept. fit_meta_lengthscale_prior.py <meta-train json> <out json>: empirical LogNormal prior of GP lengthscales from meta-train datasets"""
import json, sys, warnings, numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
src, out = sys.argv[1], sys.argv[2]
d = json.load(open(src)); sp = list(d)[0] if len(sys.argv) < 4 else sys.argv[3]
rng = np.random.default_rng(0)
logs = []
for name, v in d[sp].items():
    X, y = np.array(v["X"], float), np.array(v["y"], float).ravel()
    for rep in range(3):
        idx = rng.choice(len(X), size=min(30, len(X)), replace=False)
        dim = X.shape[1]
        k = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(np.full(dim, 0.5), (1e-2, 1e2), nu=2.5) + WhiteKernel(1e-3, (1e-6, 1e-1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gp = GaussianProcessRegressor(k, normalize_y=True, n_restarts_optimizer=2, random_state=rep).fit(X[idx], y[idx])
        logs.append(gp.kernel_.theta[1:1 + dim])
L = np.array(logs)
res = {"loc": L.mean(0).tolist(), "scale": np.maximum(L.std(0), 0.5).tolist(), "n": len(L)}
print(sp, np.round(np.exp(res["loc"]), 3), np.round(res["scale"], 2))
json.dump(res, open(out, "w"))
