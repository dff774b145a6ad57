"""Colours per track id, shared by the viewer (QPainter) and rendered outputs (OpenCV).

Hues step by the golden ratio, so each new id lands in the widest gap left by the ids before
it; with hue alone, ids a few apart still come out as two blues (#1 and #9 were 2.8 apart in
CIEDE2000, hardly perceptible). So the ids also cycle through three tones (vivid, pale,
deep): among the first 20 ids, any two differ by at least 13 (CIEDE2000), neighbours by 39
(``tests/core/test_palette.py``).
"""

from __future__ import annotations

import colorsys

RGB = tuple[int, int, int]

_GOLDEN = 0.61803398875
_HUE_OFFSET = 0.4  # where the hue walk starts: chosen for the largest least distance
_TONES = ((0.8, 1.0), (0.45, 0.75), (0.65, 0.6))  # (saturation, value), one per id in turn
UNTRACKED: RGB = (200, 200, 200)


def track_color(idx: int) -> RGB:
    """A colour for track ``idx``; ids shown near each other look clearly different."""
    if idx < 0:
        return UNTRACKED
    saturation, value = _TONES[idx % len(_TONES)]
    r, g, b = colorsys.hsv_to_rgb((_HUE_OFFSET + idx * _GOLDEN) % 1.0, saturation, value)
    return (round(r * 255), round(g * 255), round(b * 255))
