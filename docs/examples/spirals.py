"""Ten interleaved spirals, a small GELU MLP trained on them in PyTorch, and the
files sgn analyses, written into the folder given (default .): model.safetensors
(the plain state_dict), its sidecar model.safetensors.json naming the activation,
and train.safetensors (x, y)."""
import json
import os
import struct
import sys

import torch


def save_file(tensors, path):  # safetensors.torch.save_file, if safetensors is not installed
    header, blobs, off = {}, [], 0
    for name, t in sorted(tensors.items()):
        b = t.detach().contiguous().numpy().tobytes()
        dtype = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


torch.manual_seed(0)
K, n = 10, 100                                              # classes, points per class
r = 0.3 + 3 * torch.rand(K * n)                              # radius along the arm
y = torch.arange(K).repeat_interleave(n)
a = 1.2 * r + 2 * torch.pi * y / K                           # angle: arm y, wound by r
x = torch.stack([r * a.cos(), r * a.sin()], 1) + 0.15 * torch.randn(K * n, 2)
net = torch.nn.Sequential(torch.nn.Linear(2, 24), torch.nn.GELU(), torch.nn.Linear(24, 24), torch.nn.GELU(),
                          torch.nn.Linear(24, K))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for step in range(1500):                                     # full-batch Adam
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
print(f"loss {loss.item():.4f}, accuracy {(net(x).argmax(1) == y).float().mean().item():.3f}")
out = sys.argv[1] if len(sys.argv) > 1 else "."
save_file(net.state_dict(), os.path.join(out, "model.safetensors"))
with open(os.path.join(out, "model.safetensors.json"), "w") as f:
    json.dump({"activation": "gelu"}, f)                     # the sidecar: a state_dict holds no activation
save_file({"x": x, "y": y}, os.path.join(out, "train.safetensors"))
