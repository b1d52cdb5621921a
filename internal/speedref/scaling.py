"""PyTorch reference of the scaling table (docs/scaling.md): the same work as

    sgn train --preset mnist --layers 784,H,10 --activation relu --pool 1 --epochs 1
    sgn hessian --checkpoint M --first N --top-k 20 --trace
    sgn covariance --checkpoint M --first N --batch-size 128 --mode matfree --top-k 20

in PyTorch, float64, one thread by default:

    python3 scaling.py train --data DATA/train.safetensors --hidden H
    python3 scaling.py hessian --data DATA/train.safetensors --checkpoint M --first N
    python3 scaling.py covariance --data DATA/train.safetensors --checkpoint M --first N

DATA/train.safetensors is what `sgn data export --pool 1 --split train` writes
(the images sgn reads); M is an sgn checkpoint of 784-H-10 relu (its tensors
are a plain state_dict: fc1.weight, fc1.bias, fc2.weight, fc2.bias).

- train: one shuffled epoch of plain SGD, lr 0.1, B = 128, PyTorch's default
  initialisation.
- hessian: the 20 largest eigenpairs of the Hessian of the mean loss over the
  first N images by the Lanczos method with full reorthogonalisation on
  double-backward Hessian-vector products (Pearlmutter 1994), stopped as sgn
  stops it (every Ritz residual ≤ 1e-6·max|θ|, checked at dimension 80 and
  every 20 products after); then Hutchinson's trace over Rademacher probes,
  stopped at standard error ≤ 1e-2·|estimate| after 10 probes (at most 1000).
- covariance: for the checkpoint and a random model of the same widths, the
  top-20 Hessian eigenpairs as above, then the per-sample gradients
  (functorch vmap(grad)) in chunks of rows, projected on the eigenvectors as
  they come: UᵀΣU = (1/N) AᵀA with A = (G − 1ḡᵀ)U, never the N×P matrix G
  (Xie, Sato & Sugiyama, ICLR 2021: C = Σ/B against H/B along the top
  eigenvectors).

It prints one JSON line: the task, P, N, wall and CPU seconds of the
computation (imports and data loading excluded), the Hessian-vector products
and the eigenvalues, so that they can be set beside sgn's.
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np

import torch
import torch.nn.functional as F
from functorch import grad, vmap

sys.dont_write_bytecode = True  # no __pycache__ in the repository
from figure_pipeline import load_safetensors  # noqa: E402

TOPK, TOL = 20, 1e-6


def shapes(hidden, d=784, c=10):
    return [(hidden, d), (hidden,), (c, hidden), (c,)]


def unflatten(theta, shp):
    sizes = [math.prod(s) for s in shp]
    return [p.view(s) for p, s in zip(torch.split(theta, sizes), shp)]


def make_loss(shp):
    def logits(theta, x):
        w1, b1, w2, b2 = unflatten(theta, shp)
        return F.linear(torch.relu(F.linear(x, w1, b1)), w2, b2)

    def mean_loss(theta, x, y):
        return F.cross_entropy(logits(theta, x), y)

    def sample_loss(theta, x, y):
        return F.cross_entropy(logits(theta, x[None]), y[None])

    return mean_loss, sample_loss


def hvp_fn(mean_loss, theta, x, y):
    theta = theta.detach().requires_grad_(True)
    g = torch.autograd.grad(mean_loss(theta, x, y), theta, create_graph=True)[0]

    def hvp(v):
        return torch.autograd.grad(g, theta, v, retain_graph=True)[0].detach()

    return hvp


def lanczos(hvp, p, k=TOPK, max_iter=300, seed=1):
    """Top-k eigenpairs by Lanczos with full reorthogonalisation."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(p, dtype=torch.float64, generator=gen)
    Q = [q / q.norm()]
    alpha, beta = [], []
    products = 0
    check = max(3 * k + 20, 60)
    while True:
        w = hvp(Q[-1])
        products += 1
        a = torch.dot(w, Q[-1]).item()
        alpha.append(a)
        Qm = torch.stack(Q, 1)
        for _ in range(2):  # full reorthogonalisation, twice
            w = w - Qm @ (Qm.T @ w)
        b = w.norm().item()
        m = len(alpha)
        if m >= check or m >= max_iter:
            T = torch.diag(torch.tensor(alpha, dtype=torch.float64))
            if m > 1:
                off = torch.tensor(beta, dtype=torch.float64)
                T += torch.diag(off, 1) + torch.diag(off, -1)
            th, S = torch.linalg.eigh(T)
            top = list(range(m - 1, m - 1 - k, -1))
            bound = TOL * max(abs(th[0].item()), abs(th[-1].item()))
            if all(abs(b * S[m - 1, i].item()) <= bound for i in top) or m >= max_iter:
                U = Qm @ S[:, top]
                vals = th[top]
                res = [(hvp(U[:, j]) - vals[j] * U[:, j]).norm().item() for j in range(k)]
                products += k
                if max(res) <= bound or m >= max_iter:
                    return vals.tolist(), U, products, max(res)
            check = m + max(10, k)
        if b <= 1e-12 * max(abs(x) for x in alpha) or b == 0:
            # breakdown: the Krylov space is invariant; go on from a random
            # vector orthogonal to it (its β is 0), as sgn does
            w = torch.randn(p, dtype=torch.float64, generator=gen)
            for _ in range(2):
                w = w - Qm @ (Qm.T @ w)
            b = 0.0
            beta.append(b)
            Q.append(w / w.norm())
            continue
        beta.append(b)
        Q.append(w / b)


def hutchinson(hvp, p, tol=1e-2, max_probes=1000, seed=2):
    gen = torch.Generator().manual_seed(seed)
    s = s2 = 0.0
    for n in range(1, max_probes + 1):
        z = torch.randint(0, 2, (p,), generator=gen, dtype=torch.float64) * 2 - 1
        v = torch.dot(z, hvp(z)).item()
        s += v
        s2 += v * v
        if n >= 10:
            mean = s / n
            se = math.sqrt(max(s2 / n - mean * mean, 0) / (n - 1))
            if se <= tol * abs(mean):
                return mean, se, n
    mean = s / max_probes
    return mean, math.sqrt(max(s2 / max_probes - mean * mean, 0) / (max_probes - 1)), max_probes


def projected_sigma(sample_loss, theta, x, y, U, chunk):
    """UᵀΣU from per-sample gradients in chunks of rows, and the mean gradient."""
    n, k = x.shape[0], U.shape[1]
    psg = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    gbar = torch.zeros(theta.numel(), dtype=torch.float64)
    for r in range(0, n, chunk):
        gbar += psg(theta, x[r:r + chunk], y[r:r + chunk]).sum(0)
    gbar /= n
    M = torch.zeros(k, k, dtype=torch.float64)
    for r in range(0, n, chunk):
        A = (psg(theta, x[r:r + chunk], y[r:r + chunk]) - gbar) @ U
        M += A.T @ A
    return M / n, gbar


def load_rows(path, first):
    """x[:first] and y[:first] of a safetensors file of sgn data export,
    read by a memory map: only the rows used are loaded."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    out = {}
    for name in ("x", "y"):
        t = header[name]
        dt = {"F64": np.float64, "I64": np.int64}[t["dtype"]]
        a, b = t["data_offsets"]
        shape = t["shape"]
        m = np.memmap(path, dtype=dt, mode="r", offset=8 + n + a, shape=tuple(shape))
        out[name] = np.array(m[:first] if first > 0 else m)
    return out


def load_checkpoint(path):
    t = load_safetensors(path)
    parts = [t["fc1.weight"], t["fc1.bias"], t["fc2.weight"], t["fc2.bias"]]
    hidden = t["fc1.bias"].shape[0]
    return torch.cat([torch.from_numpy(a).reshape(-1) for a in parts]), hidden


def random_theta(hidden, seed=2):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)).double()
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=["train", "hessian", "covariance"])
    ap.add_argument("--data", required=True, help="train.safetensors of sgn data export --pool 1")
    ap.add_argument("--hidden", type=int, default=0, help="train: the hidden width H")
    ap.add_argument("--checkpoint", help="hessian, covariance: an sgn checkpoint of 784-H-10 relu")
    ap.add_argument("--first", type=int, default=2000, help="hessian, covariance: the first N images")
    ap.add_argument("--chunk-bytes", type=float, default=128 * 2**20, help="covariance: bytes of per-sample gradients at a time")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = load_rows(a.data, 0 if a.task == "train" else a.first)
    x = torch.from_numpy(d["x"])
    y = torch.from_numpy(d["y"]).long()
    out = {"task": a.task, "threads": a.threads}
    if a.task == "train":
        if a.hidden < 1:
            sys.exit("scaling.py train: --hidden H (≥ 1) is required")
        torch.manual_seed(1)
        net = torch.nn.Sequential(torch.nn.Linear(784, a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, 10)).double()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        B, N = 128, x.shape[0]
        perm = torch.randperm(N)
        t0, c0 = time.perf_counter(), time.process_time()
        for s in range(N // B):
            idx = perm[s * B:(s + 1) * B]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        out.update(P=sum(p.numel() for p in net.parameters()), N=N, loss=loss.item())
    else:
        if not a.checkpoint:
            sys.exit("scaling.py %s: --checkpoint M is required" % a.task)
        theta, hidden = load_checkpoint(a.checkpoint)
        shp = shapes(hidden)
        mean_loss, sample_loss = make_loss(shp)
        p = theta.numel()
        out.update(P=p, N=x.shape[0])
        t0, c0 = time.perf_counter(), time.process_time()
        if a.task == "hessian":
            hvp = hvp_fn(mean_loss, theta, x, y)
            vals, _, products, res = lanczos(hvp, p)
            tr, se, probes = hutchinson(hvp, p)
            out.update(eigenvalues=vals, products=products, max_residual=res, trace=tr, trace_se=se, probes=probes)
        else:
            chunk = max(1, int(a.chunk_bytes // (8 * p)))
            for name, th in (("pretrained", theta), ("random", random_theta(hidden))):
                hvp = hvp_fn(mean_loss, th, x, y)
                vals, U, products, res = lanczos(hvp, p)
                del hvp
                S, gbar = projected_sigma(sample_loss, th, x, y, U, chunk)
                out[name] = {"eigenvalues": vals, "products": products, "max_residual": res,
                             "sigma_diag": torch.diagonal(S).tolist(), "grad_norm": gbar.norm().item()}
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - c0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
