"""Which files we accept as input, by extension (the first of the two checks, seed §6).

The second check, a content probe, lives in ``pipeline.video.probe`` because it needs FFmpeg.
"""

from __future__ import annotations

from pathlib import Path

VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv",
    ".mts", ".m2ts", ".ts", ".3gp", ".ogv", ".mxf",
})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


def is_video_name(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def is_image_name(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS
