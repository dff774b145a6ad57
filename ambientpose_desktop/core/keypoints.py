"""Keypoint formats, defined once: names, skeleton edges and edge colours.

The worker records the format name in ``summary.json``; the viewer, exporters and AlphaPose
adapter look it up here. Colours are RGB and follow the usual convention of pose tools: left
side blue, right side orange, centre line green, face and hands their own tones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RGB = tuple[int, int, int]

LEFT: RGB = (66, 135, 245)
RIGHT: RGB = (245, 140, 40)
CENTRE: RGB = (60, 200, 90)
FACE: RGB = (230, 230, 230)
HAND_LEFT: RGB = (120, 180, 255)
HAND_RIGHT: RGB = (255, 180, 110)


@dataclass(frozen=True)
class KeypointFormat:
    """A named set of keypoints with the edges that draw its skeleton."""

    name: str
    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...]
    edge_colors: tuple[RGB, ...] = field(default=())
    # Per-keypoint spread of human labels (COCO's OKS sigmas): how far apart two estimates
    # of one keypoint may lie, relative to the person's size, and still be the same point.
    sigmas: tuple[float, ...] = field(default=())

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def edge_color(self, edge: int) -> RGB:
        return self.edge_colors[edge] if self.edge_colors else CENTRE


def _side_color(names: tuple[str, ...], a: int, b: int) -> RGB:
    sides = {_side(names[a]), _side(names[b])}
    if "l" in sides and "r" not in sides:
        return LEFT
    if "r" in sides and "l" not in sides:
        return RIGHT
    return CENTRE


def _side(name: str) -> str:
    lowered = name.lower()
    if lowered.startswith(("left", "l_")):
        return "l"
    if lowered.startswith(("right", "r_")):
        return "r"
    return "c"


def _make(name: str, names: list[str], skeleton: list[tuple[int, int]],
          sigmas: list[float], colors: list[RGB] | None = None) -> KeypointFormat:
    names_t = tuple(names)
    edges = tuple(skeleton)
    for a, b in edges:
        if not (0 <= a < len(names_t) and 0 <= b < len(names_t)):
            raise ValueError(f"{name}: edge ({a}, {b}) outside {len(names_t)} keypoints")
    if len(sigmas) != len(names_t):
        raise ValueError(f"{name}: {len(sigmas)} sigmas for {len(names_t)} keypoints")
    if colors is None:
        colors = [_side_color(names_t, a, b) for a, b in edges]
    return KeypointFormat(name, names_t, edges, tuple(colors), tuple(sigmas))


_COCO_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
_COCO_SKELETON = [
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6),
    (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
]
# COCO's keypoint evaluation (pycocotools ``COCOeval.kpt_oks_sigmas``).
_COCO_SIGMAS = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
                0.107, 0.107, 0.087, 0.087, 0.089, 0.089]
COCO_17 = _make("coco17", _COCO_NAMES, _COCO_SKELETON, _COCO_SIGMAS)

_HALPE_BODY_EXTRA = [
    "head", "neck", "hip",
    "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
]
_HALPE_26_SKELETON = [
    (0, 1), (0, 2), (1, 3), (2, 4),
    (5, 18), (6, 18), (5, 7), (7, 9), (6, 8), (8, 10),
    (17, 18), (18, 19), (19, 11), (19, 12), (11, 13), (12, 14), (13, 15), (14, 16),
    (20, 24), (21, 25), (23, 25), (22, 24), (15, 24), (16, 25),
]
# Halpe's extra points as AlphaPose's pose NMS weighs them (head, neck, hip, then the feet).
_HALPE_BODY_SIGMAS = _COCO_SIGMAS + [0.08, 0.08, 0.08] + [0.089] * 6
HALPE_26 = _make("halpe26", _COCO_NAMES + _HALPE_BODY_EXTRA, _HALPE_26_SKELETON,
                 _HALPE_BODY_SIGMAS)


def _face_68_edges(base: int) -> list[tuple[int, int]]:
    """Contours of the 68-point face layout (jaw, brows, nose, eyes, lips)."""
    chains = [range(0, 17), range(17, 22), range(22, 27), range(27, 31), range(31, 36)]
    loops = [range(36, 42), range(42, 48), range(48, 60), range(60, 68)]
    edges = [(base + a, base + a + 1) for c in chains for a in list(c)[:-1]]
    for loop in loops:
        pts = list(loop)
        edges += [(base + a, base + b) for a, b in zip(pts, pts[1:] + pts[:1], strict=True)]
    return edges


def _hand_21_edges(base: int) -> list[tuple[int, int]]:
    """Five fingers of four bones each, from the wrist point of the 21-point hand."""
    edges = []
    for finger in range(5):
        joints = [0] + [1 + finger * 4 + j for j in range(4)]
        edges += [(base + a, base + b) for a, b in zip(joints, joints[1:], strict=False)]
    return edges


def _halpe_136() -> KeypointFormat:
    names = _COCO_NAMES + _HALPE_BODY_EXTRA
    names += [f"face_{i}" for i in range(68)]
    names += [f"left_hand_{i}" for i in range(21)]
    names += [f"right_hand_{i}" for i in range(21)]
    face, left_hand, right_hand = 26, 26 + 68, 26 + 68 + 21
    body = list(_HALPE_26_SKELETON)
    face_edges = _face_68_edges(face)
    left = [(9, left_hand)] + _hand_21_edges(left_hand)
    right = [(10, right_hand)] + _hand_21_edges(right_hand)
    skeleton = body + face_edges + left + right
    colors = [_side_color(tuple(names), a, b) for a, b in body]
    colors += [FACE] * len(face_edges) + [HAND_LEFT] * len(left) + [HAND_RIGHT] * len(right)
    sigmas = _HALPE_BODY_SIGMAS + [0.025] * (68 + 21 + 21)  # face and hands, as AlphaPose
    return _make("halpe136", names, skeleton, sigmas, colors)


HALPE_136 = _halpe_136()

FORMATS: dict[str, KeypointFormat] = {f.name: f for f in (COCO_17, HALPE_26, HALPE_136)}


def get_format(name: str) -> KeypointFormat:
    """The format called ``name`` (``coco17``, ``halpe26``, ``halpe136``)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown keypoint format {name!r}; known: {', '.join(FORMATS)}") from None


def format_for_count(num_keypoints: int) -> KeypointFormat:
    """The format with this many keypoints, for results files that do not name theirs."""
    for fmt in FORMATS.values():
        if fmt.num_keypoints == num_keypoints:
            return fmt
    raise KeyError(f"no keypoint format has {num_keypoints} keypoints")


def _plain(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def format_for_names(names: list[str]) -> tuple[KeypointFormat, list[int]]:
    """The format whose keypoints ``names`` are (in any order; case, spaces and hyphens
    aside) and each name's keypoint index in it: how the skeleton of a SLEAP or DeepLabCut
    file maps onto ours. ``KeyError`` saying why when no format has exactly these names."""
    wanted = [_plain(n) for n in names]
    for fmt in FORMATS.values():
        index = {_plain(n): i for i, n in enumerate(fmt.names)}
        if len(set(wanted)) == len(wanted) == fmt.num_keypoints and set(wanted) <= set(index):
            return fmt, [index[w] for w in wanted]
    shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
    raise KeyError(f"its {len(names)} keypoints ({shown}) are not those of a keypoint format "
                   f"AmbientPose knows ({', '.join(FORMATS)}, matched by name)")
