"""PyTorch reference of one `sgn train` epoch: the training step's speed.

The same run as

    sgn train --layers 784,100,10 --activation relu --pool 1 --batch-size 128 \
        --eta 0.1 --epochs 1

in PyTorch: 784-100-10 relu, float64, plain SGD, one shuffled epoch over the
60,000 training images that `sgn data export` writes (the same data):

    sgn data export --pool 1 --split train --out DATA/train.safetensors
    python3 train_step.py DATA/train.safetensors [THREADS]

It prints one JSON line with samples/s of the training loop (minibatch
gather, forward, backward, SGD step), the quantity sgn writes to log.jsonl as
samples_per_sec, and samples per CPU-second. THREADS (default 1) goes to
torch.set_num_threads; one thread is PyTorch's fastest on small shapes.
"""
import json
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository
from figure_pipeline import load_safetensors  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: train_step.py TRAIN.safetensors [THREADS]")
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    d = load_safetensors(sys.argv[1])
    x = torch.from_numpy(d["x"])
    y = torch.from_numpy(d["y"]).long()
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    lossf = torch.nn.CrossEntropyLoss()
    B = 128
    N = x.shape[0]
    perm = torch.randperm(N)
    steps = N // B
    t0 = time.perf_counter()
    c0 = time.process_time()
    for s in range(steps):
        idx = perm[s * B:(s + 1) * B]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(xb), yb)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({"threads": threads, "steps": steps, "seconds": dt, "samples_per_sec": steps * B / dt,
                      "samples_per_cpu_sec": steps * B / cpu, "loss": loss.item()}))


if __name__ == "__main__":
    main()
