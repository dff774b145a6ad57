"""Track colours: ids shown side by side must not look alike (CIEDE2000 in CIELAB)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ambientpose_desktop.core.palette import UNTRACKED, track_color

# CIEDE2000 of about 2 is just noticeable; above 10 two colours read as different colours.
ANY_TWO_OF_FIRST_20 = 12.0
NEIGHBOURS = 25.0


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    """sRGB (D65) to CIELAB, as the CIE defines them."""
    c = np.asarray(rgb, np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """Sharma, Wu and Dalal (2005), the formula and its test data."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    big_dh = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    rotation = -np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))) \
        * 2 * np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    sc, sh = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    dl, dc, dh_ = (l2 - l1) / sl, (c2 - c1) / sc, big_dh / sh
    return float(np.sqrt(dl ** 2 + dc ** 2 + dh_ ** 2 + rotation * dc * dh_))


def _distance(i: int, j: int) -> float:
    return _ciede2000(_lab(track_color(i)), _lab(track_color(j)))


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [
    ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
    ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_colour_difference_matches_the_published_test_data(lab1, lab2, expected):
    assert _ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_any_two_of_the_first_twenty_ids_differ():
    closest = min(_distance(i, j) for i, j in itertools.combinations(range(1, 21), 2))
    assert closest >= ANY_TWO_OF_FIRST_20


def test_consecutive_ids_differ_clearly():
    assert min(_distance(i, i + 1) for i in range(1, 200)) >= NEIGHBOURS
    assert _distance(1, 9) >= ANY_TWO_OF_FIRST_20  # both blue before


def test_untracked_grey_and_valid_colours():
    assert track_color(-1) == UNTRACKED
    for idx in range(500):
        assert all(0 <= c <= 255 for c in track_color(idx))
        assert track_color(idx) != UNTRACKED
