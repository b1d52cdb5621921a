"""Writes the PyTorch fixture that sgn's checkpoint loader and analyses are
checked against (run with a Python that has torch and numpy):

    python3 make.py        # in this folder

Files:
  model_f64.safetensors    a 6-5-4-3 nn.Sequential(Linear, GELU, Linear, GELU,
                           Linear) trained briefly, its state_dict in float64
                           (keys 0.weight, 0.bias, 2.weight, ...)
  model_f32.safetensors    the same network in float32, as the state_dict of
                           nn.Sequential(OrderedDict(fc1=..., act1=..., ...))
                           (keys fc1.weight, fc1.bias, ...)
  *.safetensors.json       the sidecars naming the activation
  data.safetensors         x (N×6 float64) and y (N int64 labels 0..2), the
                           layout `sgn data export` writes
  reference.json           PyTorch's float64 numbers for each model on the
                           data: loss, gradient, every Hessian eigenvalue,
                           tr H, and the comparison of C = Σ/B with H/B that
                           covariance.Analyze makes (mode full, window
                           (1e-4, 0.5), B = 4).

The safetensors files are written by hand (safetensors is a JSON header and
raw little-endian bytes), as safetensors.torch.save_file writes them.
"""
import copy
import json
import struct
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from functorch import grad, vmap

N, D, K = 48, 6, 3
WIDTHS = [D, 5, 4, K]
B = 4
WINDOW = (1e-4, 0.5)
HEATMAP_K, NUM_TOP = 20, 10


def save_safetensors(path, tensors, metadata=None):
    """safetensors.torch.save_file, by hand: tensors is a dict name → tensor."""
    header, chunks, off = {}, [], 0
    dtypes = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64"}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        b = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def make_data():
    g = torch.Generator().manual_seed(7)
    centres = 0.8 * torch.randn(K, D, generator=g, dtype=torch.float64)
    y = torch.arange(N) % K
    x = centres[y] + torch.randn(N, D, generator=g, dtype=torch.float64)
    return x, y


def make_net(x, y):
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(D, 5), torch.nn.GELU(), torch.nn.Linear(5, 4), torch.nn.GELU(),
                              torch.nn.Linear(4, K)).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return net


SHAPES = [s for i, o in zip(WIDTHS[:-1], WIDTHS[1:]) for s in ((o, i), (o,))]
SIZES = [int(np.prod(s)) for s in SHAPES]
P = sum(SIZES)


def logits(theta, x):
    ps = [p.view(s) for p, s in zip(torch.split(theta, SIZES), SHAPES)]
    a = x
    for l in range(0, len(ps), 2):
        a = F.linear(a, ps[l], ps[l + 1])
        if l + 2 < len(ps):
            a = F.gelu(a)  # the erf form, PyTorch's default
    return a


def mean_loss(theta, x, y):
    return F.cross_entropy(logits(theta, x), y)


def sample_loss(theta, x, y):
    return F.cross_entropy(logits(theta, x[None]), y[None])


def fit_loglog(x, y):
    lx, ly = np.log10(x), np.log10(y)
    n = len(lx)
    mx, my = lx.mean(), ly.mean()
    sxx = ((lx - mx) ** 2).sum()
    slope = ((lx - mx) * (ly - my)).sum() / sxx
    intercept = my - slope * mx
    r = ((lx - mx) * (ly - my)).sum() / np.sqrt(sxx * ((ly - my) ** 2).sum())
    res = ly - intercept - slope * lx
    stderr = np.sqrt((res ** 2).sum() / (n - 2) / sxx)
    return {"loglog_slope": slope, "loglog_intercept": intercept, "pearson_r": r, "fit_points": n,
            "slope_stderr": stderr, "fit_decades": lx.max() - lx.min()}


def reference(theta, x, y):
    """What sgn computes for the model θ on (x, y), in float64."""
    z = logits(theta, x)
    loss = F.cross_entropy(z, y).item()
    acc = (z.argmax(1) == y).double().mean().item()
    G = vmap(grad(sample_loss), in_dims=(None, 0, 0))(theta, x, y)
    n = G.shape[0]
    gbar = G.mean(0)
    Gc = G - gbar
    th = theta.clone().requires_grad_()
    g, = torch.autograd.grad(mean_loss(th, x, y), th, create_graph=True)
    H = torch.stack([torch.autograd.grad(g, th, e, retain_graph=True)[0] for e in torch.eye(P, dtype=theta.dtype)])
    H = (H + H.T) / 2
    lam, U = torch.linalg.eigh(H)
    lam, U = lam.flip(0), U.flip(1)  # descending
    inw = (lam > WINDOW[0]) & (lam < WINDOW[1])
    last = int(torch.nonzero(inw).max())
    k = min(P, max(last + 1, HEATMAP_K, NUM_TOP))
    A = Gc @ U[:, :k]
    S = (A.T @ A / n).numpy()  # UᵀΣU
    mproj = (U[:, :k].T @ gbar).numpy()
    Sigma = Gc.T @ Gc / n
    lam_k, s = lam[:k].numpy(), np.diagonal(S)
    sel = [i for i in range(k) if WINDOW[0] < lam_k[i] < WINDOW[1]]
    pos = [i for i in sel if s[i] > 0]
    Sm = S[np.ix_(sel, sel)]
    d = np.diagonal(Sm)
    off = Sm - np.diag(d)
    dd = np.sqrt(np.outer(np.maximum(d, 0), np.maximum(d, 0)))
    mask = (dd > 0) & ~np.eye(len(sel), dtype=bool)
    tr_sigma = (Gc * Gc).sum().item() / n
    gn2 = (gbar @ gbar).item()
    # Margins: no eigenvalue near the window's edges, so the selection is
    # the same in any arithmetic.
    edge = min(min(abs(np.log10(abs(v) / w)) for w in WINDOW) for v in lam.numpy() if v != 0)
    # The smallest gap between an analysed eigenvalue and its neighbours,
    # relative to λmax: the eigenvectors, hence c, are as well determined
    # as eps·λmax/gap.
    gap = min(abs(lam[i] - lam[j]).item() for i in range(k) for j in range(P) if i != j) / lam[0].item()
    return {
        "loss": loss, "accuracy": acc, "gradient": gbar.tolist(), "grad_norm": gn2 ** 0.5,
        "eigenvalues": lam.tolist(), "trace_h": torch.trace(H).item(),
        "trace_sigma": tr_sigma, "trace_fim": tr_sigma + gn2, "b_simple": tr_sigma / gn2,
        "rel_frobenius": (torch.linalg.norm(Sigma - H) / torch.linalg.norm(H)).item(),
        "eigen": {"lambda_max": lam[0].item(), "lambda_min": lam[-1].item(), "negative": int((lam < 0).sum()),
                  "in_window": int(inw.sum()), "analysed": k},
        "window_margin_decades": float(edge), "min_relative_gap": gap,
        "comparison": {
            "batch_size": B, "selected": len(sel), "nonpositive_c": len(sel) - len(pos),
            "fit": {key: float(v) for key, v in fit_loglog(lam_k[pos] / B, s[pos] / B).items()},
            "median_ratio": float(np.median(s[pos] / lam_k[pos])),
            "median_ratio_fim": float(np.median((s[pos] + mproj[pos] ** 2) / lam_k[pos])),
            "top_lambdas": lam_k[:NUM_TOP].tolist(),
            "top_ratios": [float(s[i] / lam_k[i]) if lam_k[i] > 0 else 0.0 for i in range(min(NUM_TOP, k))],
            "offdiag_ratio": float(np.sqrt((off ** 2).sum() / (d ** 2).sum())),
            "offdiag_mean_corr": float((np.abs(Sm)[mask] / dd[mask]).mean()),
            "points_lambda": lam_k[sel].tolist(), "points_c": (s[sel] / B).tolist(),
        },
    }


def flat(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).double()


def main():
    torch.set_default_dtype(torch.float64)
    x, y = make_data()
    net = make_net(x, y)
    save_safetensors("data.safetensors", {"x": x, "y": y})
    save_safetensors("model_f64.safetensors", net.state_dict(), {"format": "pt"})
    net32 = copy.deepcopy(torch.nn.Sequential(OrderedDict(
        fc1=net[0], act1=torch.nn.GELU(), fc2=net[2], act2=torch.nn.GELU(), fc3=net[4]))).float()
    save_safetensors("model_f32.safetensors", net32.state_dict(), {"format": "pt"})
    for name in ("model_f64", "model_f32"):
        with open(name + ".safetensors.json", "w") as f:
            json.dump({"activation": "gelu"}, f)
    ref = {"widths": WIDTHS, "num_params": P, "num_samples": N, "window": WINDOW, "heatmap_k": HEATMAP_K,
           "torch": torch.__version__,
           "model_f64": reference(flat(net), x, y),
           "model_f32": reference(flat(net32), x, y)}  # float32 widened to float64, exactly
    with open("reference.json", "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    for name in ("model_f64", "model_f32"):
        r = ref[name]
        c = r["comparison"]
        print(f"{name}: loss {r['loss']:.6f}, λ {r['eigenvalues'][:4]}, in window {c['selected']}, "
              f"slope {c['fit']['loglog_slope']:.3f}, median ratio {c['median_ratio']:.3f}, "
              f"margin {r['window_margin_decades']:.2f} decades, gap {r['min_relative_gap']:.2g}")


if __name__ == "__main__":
    main()
