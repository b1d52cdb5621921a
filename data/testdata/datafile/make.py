"""Writes the data files the tests of package data read (run from this folder
with /usr/bin/python3 make.py). Each holds x (5×3 features) and y (5 labels)
with x[i, j] = (3i + j)/8 − 0.5 (exact in float32) and y = [0, 2, 1, 3, 2].

Good files: np.savez (x float32, y int64), np.savez_compressed (x float64,
y uint8), and a safetensors file written by hand (x F32, y I64), as PyTorch's
safetensors.torch.save_file({"x": x, "y": y}, path) lays it out.
Bad files, as NumPy writes them: x in Fortran order, x big-endian, y of
dtype object."""
import json
import struct

import numpy as np

x = ((np.arange(15).reshape(5, 3)) / 8.0 - 0.5)
y = np.array([0, 2, 1, 3, 2])

np.savez("savez.npz", x=x.astype(np.float32), y=y.astype(np.int64))
np.savez_compressed("compressed.npz", x=x.astype(np.float64), y=y.astype(np.uint8))
np.savez("int16.npz", x=x.astype("<f8"), y=y.astype("<i2"))


def safetensors(path, tensors):
    header, data, off = {}, b"", 0
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


safetensors("handmade.safetensors", {"x": ("F32", x.astype("<f4")), "y": ("I64", y.astype("<i8"))})

np.savez("fortran.npz", x=np.asfortranarray(x), y=y)
np.savez("bigendian.npz", x=x.astype(">f8"), y=y)
np.savez("object.npz", x=x, y=np.array([0, 2, 1, 3, 2], dtype=object))
