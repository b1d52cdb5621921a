"""PyTorch pipeline of the C = H/B figure that `make figure` draws.

It does what these two commands do, with PyTorch (float64, one thread by
default), so that their run times can be compared:

    sgn train --preset figure --out out/figure-model
    sgn covariance --checkpoint out/figure-model/model.safetensors \
        --first 2000 --batch-size 64 --out out/cvh

1. Train the figure preset: 49-16-16-10 tanh, Glorot-uniform weights and zero
   biases, plain SGD with lr 0.1, batch 64, 20 shuffled epochs over the 60,000
   MNIST training images average-pooled by 4 (the last partial batch of an
   epoch is dropped), the loss and accuracy on the whole training and test
   sets after every epoch.
2. Analyse the trained model and a random one (the same architecture, another
   seed; torch's random numbers, so not sgn's random model: --check uses sgn's)
   on the first 2,000 training images, as the covariance package does:
   per-sample gradients g_i (functorch vmap(grad)), Σ = (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ,
   the Hessian H of the mean loss (double backward, one unit vector at a
   time), its
   eigendecomposition, Σ projected on the eigenvectors down to the last
   eigenvalue in the window (0.0001, 0.5) (at least 20), and the comparison
   of c_i = u_iᵀΣu_i/B with λ_i/B at B = 64: the log–log fit, Pearson's r,
   the median ratio, the top ratios, the off-diagonal ratio, ‖Σ − H‖_F/‖H‖_F.
   Unlike sgn it draws no figure (numbers only, into a JSON file).

Data: the tensors `sgn data export` writes (the same images sgn reads):

    sgn data export --pool 4 --split train --out DATA/train.safetensors
    sgn data export --pool 4 --split test  --out DATA/test.safetensors
    python3 figure_pipeline.py --data DATA --out OUT.json

Cross-check against sgn: `--check out/cvh` skips the training, loads sgn's
pretrained.safetensors and random.safetensors from that folder, analyses
them here and prints, for every number of covariance.json and every point of
points.csv, the relative difference to what sgn computed.
"""
import argparse
import csv
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from functorch import grad, vmap

LAYERS = [49, 16, 16, 10]
LR, BATCH, EPOCHS = 0.1, 64, 20
FIRST, B = 2000, 64
WINDOW = (1e-4, 0.5)
HEATMAP_K, NUM_TOP = 20, 10


def load_safetensors(path):
    """Returns the tensors of a safetensors file as numpy arrays."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        buf = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dt = {"F64": np.float64, "I64": np.int64, "F32": np.float32}[t["dtype"]]
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(buf[a:b], dtype=dt).reshape(t["shape"]).copy()
    return out


# The model as a function of one flat parameter vector θ = (W1, b1, W2, b2, …),
# W_l out×in row-major: what functorch differentiates.
SHAPES = [s for i, o in zip(LAYERS[:-1], LAYERS[1:]) for s in ((o, i), (o,))]
SIZES = [int(np.prod(s)) for s in SHAPES]
P = sum(SIZES)


def unflatten(theta):
    return [p.view(s) for p, s in zip(torch.split(theta, SIZES), SHAPES)]


def logits(theta, x):
    ps = unflatten(theta)
    a = x
    for l in range(0, len(ps), 2):
        a = F.linear(a, ps[l], ps[l + 1])
        if l + 2 < len(ps):
            a = torch.tanh(a)
    return a


def mean_loss(theta, x, y):
    return F.cross_entropy(logits(theta, x), y)


def sample_loss(theta, x, y):
    return F.cross_entropy(logits(theta, x[None]), y[None])


def glorot(seed):
    """The figure preset's network with Glorot-uniform weights and zero biases."""
    torch.manual_seed(seed)
    mods = []
    for i, o in zip(LAYERS[:-1], LAYERS[1:]):
        lin = torch.nn.Linear(i, o).double()
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        mods += [lin, torch.nn.Tanh()]
    return torch.nn.Sequential(*mods[:-1])


def flat(net):
    """θ = (W1, b1, W2, b2, …) of an nn.Sequential of Linear layers."""
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def evaluate(theta, x, y):
    with torch.no_grad():
        z = logits(theta, x)
        return F.cross_entropy(z, y).item(), (z.argmax(1) == y).double().mean().item()


def train(x, y, xt, yt, seed=1):
    """Plain SGD on the figure preset; returns θ and the last epoch's log."""
    net = glorot(seed)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    steps = n // BATCH
    log = {}
    for epoch in range(1, EPOCHS + 1):
        perm = torch.randperm(n)
        total = 0.0
        for s in range(steps):
            idx = perm[s * BATCH:(s + 1) * BATCH]
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item()
        theta = flat(net)
        tl, ta = evaluate(theta, x, y)
        vl, va = evaluate(theta, xt, yt)
        log = {"epoch": epoch, "loss": total / steps, "train_loss": tl, "train_accuracy": ta, "test_loss": vl, "test_accuracy": va}
    return flat(net), log


def fit_loglog(x, y):
    lx, ly = np.log10(x), np.log10(y)
    slope, intercept = np.polyfit(lx, ly, 1)
    return float(slope), float(intercept), float(np.corrcoef(lx, ly)[0, 1])


def analyse(theta, x, y):
    """The comparison of C = Σ/B with H/B that `sgn covariance` makes (mode full)."""
    t = {}
    t0 = time.perf_counter()
    loss, acc = evaluate(theta, x, y)
    G = vmap(grad(sample_loss), in_dims=(None, 0, 0))(theta, x, y)  # N×P per-sample gradients
    n = G.shape[0]
    gbar = G.mean(0)
    Gc = G - gbar
    t["gradients"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # H row by row: one double-backward product per unit vector (the fastest
    # of the exact ways here: functorch's vmap over chunks of unit vectors
    # takes 1.5-6x the CPU time, jacfwd(jacrev) misses log_softmax's forward
    # derivative in torch 1.13).
    th = theta.clone().requires_grad_()
    g, = torch.autograd.grad(mean_loss(th, x, y), th, create_graph=True)
    H = torch.stack([torch.autograd.grad(g, th, e, retain_graph=True)[0] for e in torch.eye(P, dtype=theta.dtype)])
    asym = (H - H.T).abs().max().item()
    H = (H + H.T) / 2
    t["hessian"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lam, U = torch.linalg.eigh(H)
    lam, U = lam.flip(0), U.flip(1)  # descending
    t["eigen"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    inw = (lam > WINDOW[0]) & (lam < WINDOW[1])
    last = int(torch.nonzero(inw).max()) if inw.any() else -1
    if last < 0:
        raise SystemExit("no Hessian eigenvalue in the window")
    k = min(P, max(last + 1, HEATMAP_K, NUM_TOP))
    A = Gc @ U[:, :k]
    S = A.T @ A / n  # UᵀΣU
    mproj = U[:, :k].T @ gbar
    t["projection"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    Sigma = Gc.T @ Gc / n
    rel_frob = (torch.linalg.norm(Sigma - H) / torch.linalg.norm(H)).item()
    t["sigma"] = time.perf_counter() - t0

    lam_k, s = lam[:k].numpy(), torch.diagonal(S).numpy()
    sel = [i for i in range(k) if WINDOW[0] < lam_k[i] < WINDOW[1]]
    pos = [i for i in sel if s[i] > 0]
    ratios = s[pos] / lam_k[pos]
    ratios_fim = (s[pos] + mproj.numpy()[pos] ** 2) / lam_k[pos]
    slope, intercept, r = fit_loglog(lam_k[pos] / B, s[pos] / B)
    Sm = S.numpy()[np.ix_(sel, sel)]
    d = np.diagonal(Sm)
    off = Sm - np.diag(d)
    dd = np.sqrt(np.outer(np.maximum(d, 0), np.maximum(d, 0)))
    mask = (dd > 0) & ~np.eye(len(sel), dtype=bool)
    tr_sigma = (Gc * Gc).sum().item() / n
    gn2 = (gbar @ gbar).item()
    top = [float(s[i] / lam_k[i]) if lam_k[i] > 0 else 0.0 for i in range(min(NUM_TOP, k))]
    med = float(np.median(ratios))
    agrees = abs(slope - 1) <= 0.2 and r >= 0.9 and 0.5 <= med <= 2
    return {
        "num_params": P, "num_samples": n, "batch_size": B, "selected": len(sel),
        "loglog_slope": slope, "loglog_intercept": intercept, "pearson_r": r,
        "median_ratio": med, "median_ratio_fim": float(np.median(ratios_fim)),
        "rel_frobenius": rel_frob, "top_ratios": top,
        "offdiag_ratio": float(np.sqrt((off ** 2).sum() / (d ** 2).sum())),
        "offdiag_mean_corr": float((np.abs(Sm)[mask] / dd[mask]).mean()),
        "trace_sigma": tr_sigma, "trace_fim": tr_sigma + gn2, "trace_h": float(lam.sum()),
        "b_simple": tr_sigma / gn2, "grad_norm": gn2 ** 0.5, "loss": loss, "accuracy": acc,
        "lambda_max": float(lam[0]), "lambda_min": float(lam[-1]), "negative": int((lam < 0).sum()),
        "in_window": int(inw.sum()), "analysed": k, "assembly_asymmetry": asym, "agrees": agrees,
        "seconds": {key: round(v, 3) for key, v in t.items()},
        "points": {"lambda": lam_k.tolist(), "c": (s / B).tolist()},
    }


def check(folder, x, y):
    """Analyses sgn's two checkpoints and compares with its covariance.json and points.csv."""
    with open(os.path.join(folder, "covariance.json")) as f:
        cov = json.load(f)
    pts = {}
    with open(os.path.join(folder, "points.csv")) as f:
        for row in csv.DictReader(f):
            if int(row["batch_size"]) == B:
                pts.setdefault(row["model"], []).append((float(row["lambda"]), float(row["c"])))
    worst = 0.0
    for name in ("pretrained", "random"):
        ck = load_safetensors(os.path.join(folder, name + ".safetensors"))
        theta = torch.cat([torch.from_numpy(ck[f"fc{l}.{p}"]).reshape(-1) for l in range(1, len(LAYERS)) for p in ("weight", "bias")])
        ours = analyse(theta, x, y)
        sgn = dict(cov["models"][name])
        a = sgn["analysis"]
        sgn.update({"trace_fim": a["trace_fim"], "trace_h": a["trace_h"], "grad_norm": a["grad_norm"],
                    "lambda_max": a["eigen"]["lambda_max"], "lambda_min": a["eigen"]["lambda_min"],
                    "negative": a["eigen"]["negative"], "in_window": a["eigen"]["in_window"],
                    "analysed": a["eigen"]["analysed"], "median_ratio_fim": a["by_batch_size"][0]["median_ratio_fim"],
                    "offdiag_mean_corr": a["by_batch_size"][0]["offdiag_mean_corr"]})
        print(f"{name}: PyTorch vs sgn ({folder}/covariance.json)")
        for key in ("loss", "accuracy", "grad_norm", "trace_sigma", "trace_fim", "trace_h", "b_simple", "rel_frobenius",
                    "lambda_max", "lambda_min", "negative", "in_window", "analysed", "selected", "loglog_slope",
                    "loglog_intercept", "pearson_r", "median_ratio", "median_ratio_fim", "offdiag_ratio", "offdiag_mean_corr"):
            u, v = ours[key], sgn[key]
            rel = abs(u - v) / max(abs(v), 1e-300)
            if key not in ("negative",):  # near-zero eigenvalues' signs are rounding
                worst = max(worst, rel)
            print(f"  {key:18s} torch {u:<24.16g} sgn {v:<24.16g} rel. diff {rel:.2g}")
        top = max(abs(u - v) / abs(v) for u, v in zip(ours["top_ratios"], sgn["top_ratios"]))
        lam = np.array([p[0] for p in pts[name]])
        c = np.array([p[1] for p in pts[name]])
        m = min(len(lam), len(ours["points"]["lambda"]))
        dl = np.abs(np.array(ours["points"]["lambda"][:m]) - lam[:m]).max() / abs(lam[0])
        dc = np.abs(np.array(ours["points"]["c"][:m]) - c[:m]).max() / np.abs(c[:m]).max()
        print(f"  top ratios: max rel. diff {top:.2g}; points.csv, {m} eigenpairs: max |Δλ|/λ_max {dl:.2g}, max |Δc|/max c {dc:.2g}")
        worst = max(worst, top, dl, dc)
    print(f"largest relative difference (without the count of negative eigenvalues): {worst:.2g}")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder with train.safetensors and test.safetensors from sgn data export --pool 4")
    ap.add_argument("--out", default="figure_pipeline.json", help="JSON file of the results")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--check", metavar="FOLDER", help="compare with sgn covariance's output folder instead of training")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    tr = load_safetensors(os.path.join(args.data, "train.safetensors"))
    x, y = torch.from_numpy(tr["x"]), torch.from_numpy(tr["y"]).long()
    xa, ya = x[:FIRST], y[:FIRST]
    if args.check:
        worst = check(args.check, xa, ya)
        sys.exit(0 if worst < 1e-6 else 1)
    te = load_safetensors(os.path.join(args.data, "test.safetensors"))
    xt, yt = torch.from_numpy(te["x"]), torch.from_numpy(te["y"]).long()
    t0 = time.perf_counter()
    theta, log = train(x, y, xt, yt)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = {"pretrained": analyse(theta, xa, ya), "random": analyse(flat(glorot(2)), xa, ya)}
    t_analysis = time.perf_counter() - t0
    for r in res.values():
        del r["points"]
    res.update({"train": log, "threads": args.threads,
                "seconds": {"train": round(t_train, 3), "analysis": round(t_analysis, 3), "total": round(time.perf_counter() - t_start, 3)}})
    with open(args.out + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    for name in ("pretrained", "random"):
        r = res[name]
        print(f"{name:10s} loss {r['loss']:.4f}: slope {r['loglog_slope']:.3f}, r {r['pearson_r']:.3f}, median ratio {r['median_ratio']:.3f} over {r['selected']} eigenvalues, agrees {r['agrees']}, {r['seconds']}")
    print(f"train {t_train:.2f} s (test accuracy {log['test_accuracy']:.4f}), analysis {t_analysis:.2f} s, total {res['seconds']['total']:.2f} s -> {args.out}")


if __name__ == "__main__":
    main()
