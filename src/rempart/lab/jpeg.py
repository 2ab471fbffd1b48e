"""A minimal baseline JPEG encoder (ITU T.81) for greyscale images, so that the synthetic
x-rays exist as real ``.jpg`` files without an imaging dependency.

One component, 8×8 blocks, the Annex K luminance quantisation table scaled to a quality,
and the Annex K standard Huffman tables. Slow (pure Python) but the lab's images are tiny.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

# Annex K.1, luminance, in natural (row-major) order.
_BASE_QUANT = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip

ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip

# Annex K.3, tables K.3 (DC luminance) and K.5 (AC luminance).
DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
DC_VALUES = tuple(range(12))
AC_BITS = (0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D)
AC_VALUES = (
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
)  # fmt: skip

_COS = [[math.cos((2 * x + 1) * u * math.pi / 16) for x in range(8)] for u in range(8)]
_C = [math.sqrt(0.5) if u == 0 else 1.0 for u in range(8)]


def huffman_codes(bits: Sequence[int], values: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``{symbol: (code, length)}`` from a DHT's BITS and HUFFVAL (T.81 Annex C)."""
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


_DC = huffman_codes(DC_BITS, DC_VALUES)
_AC = huffman_codes(AC_BITS, AC_VALUES)


def quant_table(quality: int) -> list[int]:
    """The IJG scaling of the Annex K table to ``quality`` (1–100)."""
    quality = min(100, max(1, quality))
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, (q * scale + 50) // 100)) for q in _BASE_QUANT]


def _fdct(block: list[float]) -> list[float]:
    rows = [
        [0.5 * _C[u] * sum(block[y * 8 + x] * _COS[u][x] for x in range(8)) for u in range(8)]
        for y in range(8)
    ]
    return [
        0.5 * _C[v] * sum(rows[y][u] * _COS[v][y] for y in range(8))
        for v in range(8)
        for u in range(8)
    ]


class _Bits:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, code: int, length: int) -> None:
        self.acc = (self.acc << length) | (code & ((1 << length) - 1))
        self.n += length
        while self.n >= 8:
            self.n -= 8
            byte = (self.acc >> self.n) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0x00)  # byte stuffing
        self.acc &= (1 << self.n) - 1

    def flush(self) -> bytes:
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with 1-bits
        return bytes(self.out)


def _category(value: int) -> tuple[int, int]:
    """(size, bits) of a coefficient's magnitude category (T.81 F.1.2.1)."""
    size = abs(value).bit_length()
    bits = value if value >= 0 else value + (1 << size) - 1
    return size, bits


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def encode_grey(width: int, height: int, pixels: Sequence[int], quality: int = 85) -> bytes:
    """A baseline JFIF JPEG of a ``width``×``height`` image of 8-bit grey ``pixels`` (rows)."""
    if len(pixels) != width * height or not (0 < width <= 4096 and 0 < height <= 4096):
        raise ValueError("pixels do not match the size")
    q = quant_table(quality)
    bits = _Bits()
    previous_dc = 0
    for by in range(0, height, 8):
        for bx in range(0, width, 8):
            block = [
                float(pixels[min(by + y, height - 1) * width + min(bx + x, width - 1)]) - 128.0
                for y in range(8)
                for x in range(8)
            ]
            coefficients = _fdct(block)
            quantised = [round(coefficients[ZIGZAG[i]] / q[ZIGZAG[i]]) for i in range(64)]
            diff = quantised[0] - previous_dc
            previous_dc = quantised[0]
            size, extra = _category(diff)
            bits.put(*_DC[size])
            if size:
                bits.put(extra, size)
            run = 0
            for value in quantised[1:]:
                if value == 0:
                    run += 1
                    continue
                while run > 15:
                    bits.put(*_AC[0xF0])
                    run -= 16
                size, extra = _category(value)
                bits.put(*_AC[(run << 4) | size])
                bits.put(extra, size)
                run = 0
            if run:
                bits.put(*_AC[0x00])
    scan = bits.flush()
    dqt = bytes([0x00]) + bytes(q[ZIGZAG[i]] for i in range(64))
    dht = (
        bytes([0x00])
        + bytes(DC_BITS)
        + bytes(DC_VALUES)
        + bytes([0x10])
        + bytes(AC_BITS)
        + bytes(AC_VALUES)
    )
    return (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xDB, dqt)
        + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + bytes([1, 0x11, 0]))
        + _segment(0xC4, dht)
        + _segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
        + scan
        + b"\xff\xd9"
    )
