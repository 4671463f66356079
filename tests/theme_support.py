"""Themes for the tests: a real PNG logo and a theme that passes every contrast check."""
from __future__ import annotations

import struct
import zlib


GREEN, WHITE, CLEAR = (0x0b, 0x6e, 0x4f, 255), (255, 255, 255, 255), (0, 0, 0, 0)


def _mark(x: int, y: int) -> tuple[int, int, int, int]:
    """Acme's mark: a green disc with a white ring, on a transparent ground."""
    r = ((x - 15.5) ** 2 + (y - 15.5) ** 2) ** 0.5
    return GREEN if r < 6 or 10 <= r < 16 else WHITE if r < 10 else CLEAR


def png(width: int = 32, height: int = 32, pixel=_mark) -> bytes:
    """A PNG (8-bit RGBA) that browsers decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# A green brand on a warm background: every pair passes WCAG 2.2 AA.
ACME_COLORS = {"primary": "#0b6e4f", "textOnPrimary": "#ffffff", "background": "#fbf7ef",
               "surface": "#fffdf8", "text": "#2b2118", "error": "#a4161a"}
