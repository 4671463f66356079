"""Themes for the tests: a real PNG logo and a theme that passes every contrast check."""
from __future__ import annotations

import struct
import zlib


def png(width: int = 120, height: int = 32, rgb: tuple[int, int, int] = (0x0b, 0x6e, 0x4f)) -> bytes:
    """A solid-colour PNG (8-bit RGB) that browsers decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# A green brand on a warm background: every pair passes WCAG 2.2 AA.
ACME_COLORS = {"primary": "#0b6e4f", "textOnPrimary": "#ffffff", "background": "#fbf7ef",
               "surface": "#fffdf8", "text": "#2b2118", "error": "#a4161a"}
