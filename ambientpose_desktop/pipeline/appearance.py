"""A small appearance descriptor per detected person: colour histograms of body parts.

When a person is hidden for longer than the online tracker remembers, where they reappear
says little; what they wear says a lot. The worker already holds each decoded frame, so for
every person it samples pixels at places the keypoints point to (head, torso, arms, thighs,
shins) and keeps one short histogram per part: eight hue bins for coloured pixels and four
lightness bins for grey ones (white, grey and black clothes are common and hue says nothing
about them), each pixel shared between its two nearest bins so that noise does not flip it.
That is ``DESCRIPTOR_SIZE`` floats a person and a few hundred pixels read, with no resizing
of the frame.

A part whose keypoints are not seen has an all-zero histogram and takes no part in the
comparison (``appearance_distance``).
"""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.core.row_buffer import RowBuffer

HUE_BINS = 8
GREY_BINS = 4
PART_BINS = HUE_BINS + GREY_BINS
PARTS = ("head", "torso", "arms", "thighs", "shins")
DESCRIPTOR_SIZE = len(PARTS) * PART_BINS
# How much each part counts when two descriptors are compared: clothes of the torso and
# legs are large and steady; the head is small, the arms move in front of other things.
PART_WEIGHTS = np.array([0.5, 2.0, 0.75, 1.0, 0.75])

_VISIBLE = 0.3
_ALONG = np.linspace(0.15, 0.85, 6)  # sample positions along a limb, from joint to joint
_ACROSS = np.array([-1.0, 0.0, 1.0])  # and across it, in limb half-widths
_LIMBS = {  # part: (limbs as keypoint-name pairs, half-width as a share of limb length)
    "arms": ((("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
              ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist")), 0.12),
    "thighs": ((("left_hip", "left_knee"), ("right_hip", "right_knee")), 0.2),
    "shins": ((("left_knee", "left_ankle"), ("right_knee", "right_ankle")), 0.15),
}
_TORSO = ("left_shoulder", "right_shoulder", "right_hip", "left_hip")
_FACE = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")


class Sampler:
    """Where to read pixels for each part of a pose in ``fmt``: index arrays made once."""

    def __init__(self, fmt: KeypointFormat) -> None:
        self.limbs = {part: (np.array([[fmt.index(a), fmt.index(b)] for a, b in pairs]), width)
                      for part, (pairs, width) in _LIMBS.items()}
        self.torso = np.array([fmt.index(n) for n in _TORSO])
        self.face = np.array([fmt.index(n) for n in _FACE])
        u, v = np.meshgrid(np.linspace(0.15, 0.85, 6), np.linspace(0.1, 0.9, 6))
        self.grid = np.stack([u.ravel(), v.ravel()], 1)  # (36, 2) in the torso's unit square

    def points(self, keypoints: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per part, sample points (n, P, 2) and whether each is usable (n, P)."""
        xy, seen = keypoints[:, :, :2], keypoints[:, :, 2] >= _VISIBLE
        out = {"head": self._head(xy, seen), "torso": self._torso(xy, seen)}
        for part, (pairs, width) in self.limbs.items():
            out[part] = self._limb(xy, seen, pairs, width)
        return out

    def _torso(self, xy, seen):
        ls, rs, rh, lh = (xy[:, i] for i in self.torso)
        u, v = self.grid[:, 0][None, :, None], self.grid[:, 1][None, :, None]
        top = ls[:, None] + u * (rs - ls)[:, None]
        bottom = lh[:, None] + u * (rh - lh)[:, None]
        points = top + v * (bottom - top)
        ok = seen[:, self.torso].all(1)
        return points, np.repeat(ok[:, None], len(self.grid), 1)

    def _head(self, xy, seen):
        face = seen[:, self.face]
        count = face.sum(1)
        centre = (xy[:, self.face] * face[..., None]).sum(1) / np.maximum(count, 1)[:, None]
        shoulders = xy[:, self.torso[:2]]
        radius = 0.3 * np.linalg.norm(shoulders[:, 0] - shoulders[:, 1], axis=1)
        ring = self.grid * 2 - 1  # the same 36 points, spread over a square round the centre
        points = centre[:, None] + ring[None] * radius[:, None, None]
        ok = (count >= 2) & seen[:, self.torso[:2]].all(1)
        return points, np.repeat(ok[:, None], len(ring), 1)

    def _limb(self, xy, seen, pairs, width):
        a, b = xy[:, pairs[:, 0]], xy[:, pairs[:, 1]]  # (n, L, 2)
        along = b - a
        normal = np.stack([-along[..., 1], along[..., 0]], -1) * width
        points = (a[:, :, None, None] + _ALONG[None, None, :, None, None] * along[:, :, None, None]
                  + _ACROSS[None, None, None, :, None] * normal[:, :, None, None])
        ok = seen[:, pairs[:, 0]] & seen[:, pairs[:, 1]]  # (n, L)
        n = len(xy)
        per_limb = len(_ALONG) * len(_ACROSS)
        ok = np.repeat(ok[:, :, None], per_limb, 2).reshape(n, -1)
        return points.reshape(n, -1, 2), ok


def describe(image: np.ndarray, persons: list[Person], sampler: Sampler) -> np.ndarray:
    """Descriptors of ``persons`` in the RGB uint8 ``image``: (n, DESCRIPTOR_SIZE) float32,
    each part's histogram summing to 1 (or all zero when the part was not seen)."""
    if not persons:
        return np.zeros((0, DESCRIPTOR_SIZE), np.float32)
    keypoints = np.stack([p.keypoints for p in persons]).astype(np.float32)
    parts = list(sampler.points(keypoints).values())
    points = np.concatenate([points for points, _ in parts], 1)  # (n, P, 2), all parts
    ok = np.concatenate([ok for _, ok in parts], 1)
    part = np.repeat(np.arange(len(parts)), [p.shape[1] for p, _ in parts])  # (P,)
    height, width = image.shape[:2]
    x = np.rint(points[..., 0]).astype(np.int64)
    y = np.rint(points[..., 1]).astype(np.int64)
    ok &= (x >= 0) & (x < width) & (y >= 0) & (y < height)
    pixels = image[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)]
    return _histograms(pixels, ok, part).reshape(len(persons), DESCRIPTOR_SIZE)


def _histograms(pixels: np.ndarray, ok: np.ndarray, part: np.ndarray) -> np.ndarray:
    """(n, P, 3) uint8 RGB samples, each of body part ``part[p]`` → (n, parts, PART_BINS)
    soft histograms, each normalised."""
    rgb = pixels.astype(np.float32) / 255.0
    value = rgb.max(-1)
    chroma = value - rgb.min(-1)
    saturation = chroma / np.maximum(value, 1e-6)
    hue = _hue(rgb, value, chroma)
    # Lightness on a square-root scale, nearer to what the eye sees: black and dark grey
    # clothes fall in different bins (measured: two people of our clips told apart better).
    value = np.sqrt(value)
    # Coloured or grey, with a soft edge, so a pixel near the edge does not flip bins.
    coloured = np.clip((saturation - 0.15) / 0.2, 0, 1) * np.clip((value - 0.15) / 0.2, 0, 1)
    weight = ok.astype(np.float32)
    n = len(ok)
    base = (np.arange(n)[:, None] * len(PARTS) + part[None, :]) * PART_BINS
    position = hue * HUE_BINS - 0.5  # soft hue bins: split between the two nearest centres
    low = np.floor(position)
    frac = position - low
    level = value * (GREY_BINS - 1)  # soft lightness bins likewise, black to white
    dark = np.minimum(np.floor(level), GREY_BINS - 2)
    light = level - dark
    index = np.concatenate([
        (base + low % HUE_BINS).ravel(), (base + (low + 1) % HUE_BINS).ravel(),
        (base + HUE_BINS + dark).ravel(), (base + HUE_BINS + dark + 1).ravel()]).astype(np.int64)
    grey = weight * (1 - coloured)
    mass = np.concatenate([(weight * coloured * (1 - frac)).ravel(),
                           (weight * coloured * frac).ravel(),
                           (grey * (1 - light)).ravel(), (grey * light).ravel()])
    hist = np.bincount(index, mass, n * DESCRIPTOR_SIZE).astype(np.float32)
    hist = hist.reshape(n, len(PARTS), PART_BINS)
    total = hist.sum(-1, keepdims=True)
    return np.divide(hist, total, out=np.zeros_like(hist), where=total > 0)


def _hue(rgb: np.ndarray, value: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Hue in 0..1 (as HSV), 0 where there is no colour."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    c = np.maximum(chroma, 1e-6)
    hue = np.where(value == r, ((g - b) / c) % 6, np.where(value == g, (b - r) / c + 2,
                                                           (r - g) / c + 4))
    return np.where(chroma > 0, hue / 6.0, 0.0)


def appearance_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in 0..1 between descriptors (..., DESCRIPTOR_SIZE), broadcast: the weighted
    mean Hellinger distance of the parts seen in both; NaN (no opinion) when none is."""
    pa = np.asarray(a, np.float32).reshape(*np.shape(a)[:-1], len(PARTS), PART_BINS)
    pb = np.asarray(b, np.float32).reshape(*np.shape(b)[:-1], len(PARTS), PART_BINS)
    overlap = np.sqrt(np.maximum(pa, 0) * np.maximum(pb, 0)).sum(-1)
    shared = (pa.sum(-1) > 0.5) & (pb.sum(-1) > 0.5)
    hellinger = np.sqrt(np.clip(1 - overlap, 0, 1))
    weight = shared * PART_WEIGHTS
    total = weight.sum(-1)
    mean = (hellinger * weight).sum(-1) / np.maximum(total, 1e-9)
    return np.where(total > 0, mean, np.nan)


class AppearanceSink:
    """Per-frame sink: the descriptor of every person of every frame, in the order the
    results table gets its rows (``PoseTableBuilder.add`` of the same frames)."""

    def __init__(self, fmt: KeypointFormat) -> None:
        self._sampler = Sampler(fmt)
        self._rows = RowBuffer((DESCRIPTOR_SIZE,), np.float16)

    @property
    def rows(self) -> int:
        return len(self._rows)

    def add(self, item) -> None:
        """``item`` is a ``pipeline.frame_stages.FrameResult``: its descriptors, or its
        image and people to describe."""
        if item.persons:
            self._rows.extend(item.descriptors if item.descriptors is not None
                              else describe(item.image, item.persons, self._sampler))

    def build(self) -> np.ndarray:
        """(rows, DESCRIPTOR_SIZE) float16."""
        return self._rows.array()
