#!/usr/bin/env python3
"""Makes the K-quant fixtures of GGUFKQuantTests, once; the tests read the committed files.

For each of Q2_K, Q3_K, Q4_K, Q5_K and Q6_K (and Q5_0 and Q5_1, the 32-value types K-quant files
hold for rows whose length is not a multiple of 256): six random super-blocks (blocks) (random bytes, with each
block's fp16 d and dmin set to finite values of either sign: +0, -0, subnormals, normals), and
the float32 values ggml itself gives for them, from the library's own dequantiser
(ggml_get_type_traits(type)->to_float, ggml-quants.c's dequantize_row_*), called through ctypes:

    <TYPE>.blocks  the blocks' bytes, as a GGUF file stores them
    <TYPE>.f32     256 (32) little-endian float32 per block, ggml's output bit for bit

It also runs gguf-py's numpy dequantiser (gguf.quants.dequantize) on the same blocks and prints
how many values differ from ggml's in their bits (none, when this was last run); the files hold
ggml's.

Usage, from the repository root:
    python Tests/Fixtures/gguf/kquants/make_kquant_fixtures.py LIBGGML_BASE
where LIBGGML_BASE is libggml-base.so of a built llama.cpp (cmake -S llama.cpp -B build &&
cmake --build build; the library is build/bin/libggml-base.so). Needs numpy and gguf
(pip install gguf). The output does not depend on the machine: ggml's dequantisers are plain C,
and the libggml-base this was made with has no fused multiply-adds in them.
"""
import ctypes
import sys
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, quants

HERE = Path(__file__).resolve().parent
QK_K = 256
BLOCKS = 6

# ggml type number, values and bytes per block, byte offsets of d and of dmin (None: no min)
TYPES = {
    "Q2_K": (10, QK_K, 84, 80, 82),
    "Q3_K": (11, QK_K, 110, 108, None),
    "Q4_K": (12, QK_K, 144, 0, 2),
    "Q5_K": (13, QK_K, 176, 0, 2),
    "Q6_K": (14, QK_K, 210, 208, None),
    "Q5_0": (6, 32, 22, 0, None),
    "Q5_1": (7, 32, 24, 0, 2),
}


class TypeTraits(ctypes.Structure):
    """ggml.h's struct ggml_type_traits, up to the member we call."""
    _fields_ = [
        ("type_name", ctypes.c_char_p),
        ("blck_size", ctypes.c_int64),
        ("blck_size_interleave", ctypes.c_int64),
        ("type_size", ctypes.c_size_t),
        ("is_quantized", ctypes.c_bool),
        ("to_float", ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64)),
        ("from_float_ref", ctypes.c_void_p),
    ]


def scale_fields(rng):
    """Six (d, dmin) fp16 bit patterns: the zeros and subnormals first, then any finite values."""
    def finite(exponents):
        sign = int(rng.integers(0, 2)) << 15
        return sign | int(rng.integers(*exponents)) << 10 | int(rng.integers(0, 1024))
    subnormal = lambda sign: sign << 15 | int(rng.integers(1, 1024))
    fields = [(0x0000, finite((1, 31))), (subnormal(0), subnormal(1)), (finite((1, 31)) | 0x8000, 0x8000)]
    fields += [(finite((0, 31)), finite((0, 31))) for _ in range(BLOCKS - 3)]
    return fields


def random_blocks(name, rng):
    """BLOCKS random blocks of type `name` with their d (and dmin) replaced by scale_fields."""
    _, _, size, d_at, dmin_at = TYPES[name]
    raw = bytearray(rng.integers(0, 256, size=BLOCKS * size, dtype=np.uint8).tobytes())
    for i, (d, dmin) in enumerate(scale_fields(rng)):
        raw[i * size + d_at:i * size + d_at + 2] = d.to_bytes(2, "little")
        if dmin_at is not None:
            raw[i * size + dmin_at:i * size + dmin_at + 2] = dmin.to_bytes(2, "little")
    return bytes(raw)


def ggml_floats(lib, name, raw):
    """What ggml's to_float of type `name` gives for `raw`."""
    number, values, size, _, _ = TYPES[name]
    traits = lib.ggml_get_type_traits(number).contents
    # the struct layout is right only if these read back as the type's
    assert traits.type_name.decode().upper() == name and traits.blck_size == values and traits.type_size == size, name
    out = (ctypes.c_float * (BLOCKS * values))()
    source = ctypes.create_string_buffer(raw, len(raw))
    traits.to_float(ctypes.cast(source, ctypes.c_void_p), out, BLOCKS * values)
    return np.frombuffer(bytes(out), dtype="<f4").copy()


def main():
    """Writes every type's two files and prints the comparison with gguf-py."""
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lib = ctypes.CDLL(sys.argv[1])
    lib.ggml_get_type_traits.restype = ctypes.POINTER(TypeTraits)
    lib.ggml_get_type_traits.argtypes = [ctypes.c_int]
    rng = np.random.default_rng(20240417)
    for name in TYPES:
        raw = random_blocks(name, rng)
        values = ggml_floats(lib, name, raw)
        numpy_values = quants.dequantize(np.frombuffer(raw, dtype=np.uint8), GGMLQuantizationType[name])
        differ = int(np.sum(values.view(np.uint32) != numpy_values.astype("<f4").reshape(-1).view(np.uint32)))
        (HERE / f"{name}.blocks").write_bytes(raw)
        (HERE / f"{name}.f32").write_bytes(values.astype("<f4").tobytes())
        print(f"{name}: {len(raw)} bytes, {values.size} values, {differ} differ in their bits from gguf-py's numpy")


if __name__ == "__main__":
    main()
