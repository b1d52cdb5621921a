"""PyTorch reference of the network escape runs' replica steps.

The work of one run of `sgn escape sweep --config builtin:mlp-eta` (and its
go benchmark, escape/network BenchmarkReplicaSteps49_8_10) in PyTorch, R
replicas of the network stepped together: 49-8-10 tanh, float64, N = 1,000
samples, minibatch SGD with B = 16 samples drawn with replacement and
η = 0.01 (small enough that the random network stays bounded), weight
decay λ = 1e-3 in the gradient, and every 10 steps the full loss
CE + (λ/2)‖θ‖² of every replica over all N samples (the loss criterion's
check). The replicas' parameters are stacked (R×8×49, R×8, R×10×8, R×10),
so every layer is one batched product (torch.baddbmm on the minibatches,
one broadcast matmul of the shared samples in the check) and autograd
differentiates the sum of the replicas' losses (each replica's gradient is
its own). The samples are synthetic (standard normal features, uniform
labels), as in the Go benchmark: the speed does not depend on them.

    /usr/bin/python3 replica_steps.py [R [STEPS [THREADS]]]

prints one JSON line with replica-steps/s (R × steps per second of the loop,
wall clock) and per CPU-second. R defaults to 100 (a point's runs in the
builtin sweeps), STEPS to 2,000, THREADS to 1 (torch.set_num_threads; one
thread is PyTorch's fastest on these shapes).
"""
import json
import sys
import time

import torch


def main():
    R = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    N, D, H, C, B, eta, lam, check = 1000, 49, 8, 10, 16, 0.01, 1e-3, 10
    dt = torch.float64
    x = torch.randn(N, D, dtype=dt)
    y = torch.randint(0, C, (N,))
    w1 = (torch.randn(R, H, D, dtype=dt) / D ** 0.5).requires_grad_()
    b1 = torch.zeros(R, H, dtype=dt, requires_grad=True)
    w2 = (torch.randn(R, C, H, dtype=dt) / H ** 0.5).requires_grad_()
    b2 = torch.zeros(R, C, dtype=dt, requires_grad=True)
    params = [w1, b1, w2, b2]
    ar = torch.arange(R).unsqueeze(1)

    def penalty():
        return 0.5 * lam * sum((p * p).flatten(1).sum(1) for p in params)

    def full_loss():
        with torch.no_grad():
            a1 = torch.tanh(torch.matmul(x, w1.transpose(1, 2)) + b1.unsqueeze(1))   # R×N×H
            z2 = torch.baddbmm(b2.unsqueeze(1), a1, w2.transpose(1, 2))             # R×N×C
            ce = -torch.log_softmax(z2, dim=2).gather(2, y.expand(R, N).unsqueeze(2)).squeeze(2).mean(1)
            return ce + penalty()

    level = full_loss() + 1e9  # never reached: every replica runs all steps
    escaped = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(1, steps + 1):
        idx = torch.randint(0, N, (R, B))
        xb, yb = x[idx], y[idx]                                                     # R×B×D, R×B
        a1 = torch.tanh(torch.baddbmm(b1.unsqueeze(1), xb, w1.transpose(1, 2)))
        z2 = torch.baddbmm(b2.unsqueeze(1), a1, w2.transpose(1, 2))
        ce = -torch.log_softmax(z2, dim=2).gather(2, yb.unsqueeze(2)).squeeze(2).mean(1)
        (ce.sum() + penalty().sum()).backward()
        with torch.no_grad():
            for p in params:
                p -= eta * p.grad
                p.grad = None
        if t % check == 0:
            escaped += int((full_loss() >= level).sum())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"replicas": R, "steps": steps, "threads": threads, "seconds": wall,
                      "replica_steps_per_sec": R * steps / wall, "replica_steps_per_cpu_sec": R * steps / cpu,
                      "escaped": escaped, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
