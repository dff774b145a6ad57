"""Colours per track id, shared by the viewer (QPainter) and rendered outputs (OpenCV)."""

from __future__ import annotations

import colorsys

RGB = tuple[int, int, int]


def track_color(idx: int) -> RGB:
    """A bright colour for track ``idx``; neighbouring ids get far-apart hues (golden ratio)."""
    if idx < 0:
        return (200, 200, 200)
    hue = (idx * 0.61803398875) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 1.0)
    return (round(r * 255), round(g * 255), round(b * 255))
