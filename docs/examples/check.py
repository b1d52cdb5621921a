"""Recomputes in PyTorch (float64) what sgn reports for a PyTorch state_dict on
a data file, and prints both side by side with their relative difference:

    python3 check.py model.safetensors train.safetensors out/cvh/covariance.json [out/hessian/hessian.json]

From covariance.json (the pretrained model, its first batch size, mode full):
the loss, ‖ḡ‖, tr Σ, tr H, the top eigenvalues of H and, for C = Σ/B against
H/B in H's eigenbasis (Xie, Sato & Sugiyama, ICLR 2021): the eigenvalues in
the window, the log-log slope and intercept, Pearson's r, the median ratio
c_i/(λ_i/B), the top ratios and the off-diagonal ratio. From hessian.json: the
top eigenvalues and the exact trace (--full). The activation is the one in the
sidecar model.safetensors.json; the samples are the first N of the data file,
N as sgn reports. Needs torch (with functorch) and numpy.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from functorch import grad, vmap


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header, buf = json.loads(f.read(n)), f.read()
    dt = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32}
    return {k: torch.from_numpy(np.frombuffer(buf[v["data_offsets"][0]:v["data_offsets"][1]], dt[v["dtype"]])
                                .reshape(v["shape"]).copy()) for k, v in header.items() if k != "__metadata__"}


def activation(name):
    base, _, arg = name.partition(":")
    return {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus, "gelu": F.gelu,
            "identity": lambda z: z, "leaky_relu": lambda z: F.leaky_relu(z, float(arg or 0.01)),
            "elu": lambda z: F.elu(z, float(arg or 1))}[base]


def main(model_path, data_path, cov_path, hess_path=None):
    sd = load(model_path)
    act = activation(json.load(open(model_path + ".json"))["activation"])
    prefixes = sorted({k.rsplit(".", 1)[0] for k in sd}, key=lambda p: [int(s) if s.isdigit() else s for s in p.split(".")])
    shapes = [s for p in prefixes for s in (tuple(sd[p + ".weight"].shape), tuple(sd[p + ".bias"].shape))]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = torch.cat([sd[p + k].double().reshape(-1) for p in prefixes for k in (".weight", ".bias")])
    cov = json.load(open(cov_path))
    pre = cov["models"]["pretrained"]
    a = pre["analysis"]
    cmp = a["by_batch_size"][0]
    n, B, (lo, hi) = a["num_samples"], cmp["batch_size"], (cmp["window"]["lambda_min"], cmp["window"]["lambda_max"])
    d = load(data_path)
    x, y = d["x"][:n].double(), d["y"][:n].long()

    def logits(th, x):
        ps = [p.view(s) for p, s in zip(torch.split(th, sizes), shapes)]
        for l in range(0, len(ps), 2):
            x = F.linear(x, ps[l], ps[l + 1])
            x = act(x) if l + 2 < len(ps) else x
        return x

    G = vmap(grad(lambda th, xi, yi: F.cross_entropy(logits(th, xi[None]), yi[None])), in_dims=(None, 0, 0))(theta, x, y)
    gbar, Gc = G.mean(0), G - G.mean(0)
    th = theta.clone().requires_grad_()
    g, = torch.autograd.grad(F.cross_entropy(logits(th, x), y), th, create_graph=True)
    H = torch.stack([torch.autograd.grad(g, th, e, retain_graph=True)[0] for e in torch.eye(len(theta), dtype=torch.float64)])
    H = (H + H.T) / 2
    lam, U = torch.linalg.eigh(H)
    lam, U = lam.flip(0), U.flip(1)
    sel = [i for i in range(len(lam)) if lo < lam[i] < hi]
    s = ((Gc @ U) ** 2).mean(0)  # u_iᵀΣu_i
    S = (Gc @ U[:, sel]).T @ (Gc @ U[:, sel]) / n
    pos = [i for i in sel if s[i] > 0]
    lx, ly = np.log10(lam[pos].numpy() / B), np.log10(s[pos].numpy() / B)
    slope, intercept = np.polyfit(lx, ly, 1)
    off = S - torch.diag(torch.diagonal(S))
    rows = [("loss", F.cross_entropy(logits(theta, x), y).item(), pre["loss"]),
            ("‖ḡ‖", gbar.norm().item(), a["grad_norm"]),
            ("tr Σ", (Gc * Gc).sum().item() / n, a["trace_sigma"]),
            ("tr H", torch.trace(H).item(), a.get("trace_h")),
            ("eigenvalues in the window", len(sel), cmp["selected"]),
            ("log-log slope", slope, cmp["fit"]["loglog_slope"]),
            ("log-log intercept", intercept, cmp["fit"]["loglog_intercept"]),
            ("Pearson r", np.corrcoef(lx, ly)[0, 1], cmp["fit"]["pearson_r"]),
            ("median c/(λ/B)", np.median(s[pos].numpy() / lam[pos].numpy()), cmp["median_ratio"]),
            ("off-diagonal ratio", (off.norm() / torch.diagonal(S).norm()).item(), cmp["offdiag_ratio"])]
    rows += [(f"λ{i + 1}", lam[i].item(), v) for i, v in enumerate(cmp["top_lambdas"][:5])]
    rows += [(f"c/(λ/B) at λ{i + 1}", (s[i] / lam[i]).item(), v) for i, v in enumerate(cmp["top_ratios"][:5])]
    if hess_path:
        h = json.load(open(hess_path))
        rows += [(f"hessian.json λ{i + 1}", lam[i].item(), v) for i, v in enumerate(h["eigenvalues"])]
        if h.get("trace") and h["trace"].get("exact") is not None:
            rows.append(("hessian.json tr H", torch.trace(H).item(), h["trace"]["exact"]))
    worst = 0.0
    print(f"{'':28s} {'PyTorch':>22s} {'sgn':>22s}  relative difference")
    for name, want, got in rows:
        rel = abs(got - want) / abs(want) if want else abs(got)
        worst = max(worst, rel)
        print(f"{name:28s} {want:22.15g} {got:22.15g}  {rel:.1e}")
    print(f"largest relative difference {worst:.1e}")


if __name__ == "__main__":
    main(*sys.argv[1:])
