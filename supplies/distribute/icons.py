"""Draws the app icons (a white cross on the program blue) as PNG files, no image library.

Regenerate with: python -m supplies.distribute.icons
"""

import struct
import zlib
from pathlib import Path

from supplies.config import PROJECT_ROOT

BLUE = (11, 92, 173, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
ICONS = {"icon-180.png": (180, False), "icon-192.png": (192, False), "icon-512.png": (512, False)}
ICONS["icon-maskable-512.png"] = (512, True)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def icon_png(size: int, maskable: bool = False) -> bytes:
    """A square RGBA PNG: blue ground, a white plus; clear rounded corners unless maskable."""
    # A maskable icon keeps its drawing inside the central 80% safe zone.
    arm = size * (0.11 if maskable else 0.14)
    reach = size * (0.26 if maskable else 0.32)
    radius = 0 if maskable else size * 0.18
    centre = (size - 1) / 2
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0 for each scanline
        for x in range(size):
            dx, dy = abs(x - centre), abs(y - centre)
            colour = BLUE
            if (dx <= arm and dy <= reach) or (dy <= arm and dx <= reach):
                colour = WHITE
            corner_x, corner_y = dx - (centre - radius), dy - (centre - radius)
            if radius and corner_x > 0 and corner_y > 0 and corner_x**2 + corner_y**2 > radius**2:
                colour = CLEAR
            row.extend(colour)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def write_icons(folder: Path = PROJECT_ROOT / "static" / "distribute" / "icons") -> None:
    """Write every icon the manifest names."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in ICONS.items():
        (folder / name).write_bytes(icon_png(size, maskable))


if __name__ == "__main__":
    write_icons()
