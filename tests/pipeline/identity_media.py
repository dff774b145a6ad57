"""Clips for identity tests and benchmarks, made from the shared media in memory.

``occlusion_clip``: ``mmaction2_demo_skeleton.mp4`` (two men who hug) played forward, back,
then its first ``STILL_FRAMES`` frames forward and back for ``HIDDEN_FRAMES`` frames with
the man on the right painted out (his box filled with the wall and floor beside him), then
forward again: he is gone for over 3 s, twice as long as the online tracker remembers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FPS = 30.0
STILL_FRAMES = 21  # the first frames, where the two stand apart
HIDDEN_FRAMES = 100  # 3.3 s at 30 fps
_MARGIN = 0.12  # the painted box is this much larger than the detected one on each side


@dataclass
class OcclusionClip:
    frames: list[tuple[int, float, np.ndarray]]
    hidden: range  # frames without the man on the right
    original: int  # frames of the source clip


def decode(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def occlusion_clip(path, backend) -> OcclusionClip:
    """The clip above; ``backend`` finds the man on the right in the frames to paint."""
    source = decode(path)
    n = len(source)
    forward, backward = list(range(n)), list(range(n - 1, -1, -1))
    bounce = list(range(STILL_FRAMES)) + list(range(STILL_FRAMES - 2, 0, -1))
    hidden_src = [bounce[i % len(bounce)] for i in range(HIDDEN_FRAMES)]
    painted = {i: _paint_right_person(source[i], backend) for i in sorted(set(hidden_src))}
    images = ([source[i] for i in forward + backward] + [painted[i] for i in hidden_src]
              + [source[i] for i in forward])
    start = 2 * n
    return OcclusionClip(frames=[(i, i / FPS, image) for i, image in enumerate(images)],
                         hidden=range(start, start + HIDDEN_FRAMES), original=n)


def _paint_right_person(image: np.ndarray, backend) -> np.ndarray:
    people = backend.infer([image])[0]
    right = max(people, key=lambda p: p.box[0])
    x, y, w, h = right.box
    x0, x1 = int(max(0, x - _MARGIN * w)), int(min(image.shape[1], x + w * (1 + _MARGIN)))
    y0, y1 = int(max(0, y - _MARGIN * h)), int(min(image.shape[0], y + h * (1 + _MARGIN)))
    out = image.copy()
    beside = image[y0:y1, min(image.shape[1] - 1, x1 + 10)]  # the wall and floor on his right
    out[y0:y1, x0:x1] = beside[:, None]
    return out


@dataclass
class SyntheticPoses:
    """The online tracker's output for people walking about, and who each row really is."""

    table: object  # PoseTable
    appearance: np.ndarray
    times: np.ndarray
    person: np.ndarray  # (rows,) the true person, -1 for false detections


# A standing COCO-17 pose in a unit box (x right, y down).
_POSE = np.array([[.5, .08], [.53, .06], [.47, .06], [.56, .07], [.44, .07], [.64, .2],
                  [.36, .2], [.7, .35], [.3, .35], [.72, .48], [.28, .48], [.6, .52],
                  [.4, .52], [.61, .74], [.39, .74], [.62, .96], [.38, .96]])


def synthetic_poses(seconds: float, people: int = 5, fps: float = 30.0, seed: int = 0,
                    blips_per_minute: float = 10.0) -> SyntheticPoses:
    """``people`` walk about a 1920x1080 view for ``seconds``, each hidden now and then (for
    up to 1.5 s the online tracker keeps their id, longer and they come back under a new
    one), with short false detections (``blips_per_minute``) here and there. Each person
    has their own clothes (appearance), size and build."""
    from scipy.signal import lfilter

    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.pipeline.appearance import DESCRIPTOR_SIZE, PART_BINS, PARTS

    rng = np.random.default_rng(seed)
    frames = int(seconds * fps)
    keep_id_frames = int(1.5 * fps)
    rows_frame, rows_person, rows_id, rows_xy, rows_h = [], [], [], [], []
    next_id = 1
    for person in range(people):
        # walking pace that changes smoothly: about 5 px a frame, turning over a few seconds
        velocity = lfilter([1.0], [1.0, -0.98], rng.normal(0, 1.0, (frames, 2)), axis=0)
        position = np.array([300 + 1300 * rng.random(), 300 + 400 * rng.random()])
        path = _reflected(position + np.cumsum(velocity, 0), (150, 1770), (250, 830))
        height = 420 * (0.8 + 0.4 * rng.random()) * (1 + 0.05 * np.sin(np.arange(frames) / 90))
        visible = _presence(frames, fps, rng)
        seen = np.flatnonzero(visible)
        breaks = np.flatnonzero(np.diff(seen) > keep_id_frames) + 1
        ids = np.zeros(len(seen), np.int64)
        for k, part in enumerate(np.split(np.arange(len(seen)), breaks)):
            ids[part] = next_id + k
        next_id += len(breaks) + 1
        rows_frame.append(seen)
        rows_person.append(np.full(len(seen), person))
        rows_id.append(ids)
        rows_xy.append(path[seen])
        rows_h.append(height[seen])
    blips = rng.poisson(blips_per_minute * seconds / 60)
    for _ in range(blips):
        length = int(rng.integers(1, 15))
        start = int(rng.integers(0, max(1, frames - length)))
        rows_frame.append(np.arange(start, start + length))
        rows_person.append(np.full(length, -1))
        rows_id.append(np.full(length, next_id))
        next_id += 1
        rows_xy.append(np.repeat([[150 + 1620 * rng.random(), 250 + 580 * rng.random()]],
                                 length, 0))
        rows_h.append(np.full(length, 150 + 400 * rng.random()))
    frame = np.concatenate(rows_frame)
    order = np.argsort(frame, kind="stable")
    frame, person = frame[order], np.concatenate(rows_person)[order]
    ids = np.concatenate(rows_id)[order]
    xy, h = np.concatenate(rows_xy)[order], np.concatenate(rows_h)[order]
    n = len(frame)

    builds = 1 + 0.12 * rng.standard_normal((people + 1, 17, 1))
    pose = (_POSE - 0.5)[None] * builds[person] + 0.5  # person -1 takes the last build
    keypoints = np.empty((n, 17, 3), np.float32)
    keypoints[:, :, 0] = xy[:, None, 0] + (pose[:, :, 0] - 0.5) * h[:, None] * 0.4
    keypoints[:, :, 1] = xy[:, None, 1] + (pose[:, :, 1] - 0.5) * h[:, None]
    keypoints[:, :, :2] += rng.normal(0, 3, (n, 17, 2)).astype(np.float32)
    keypoints[:, :, 2] = np.where(person[:, None] >= 0, 0.85, 0.4)
    boxes = np.stack([xy[:, 0] - 0.2 * h, xy[:, 1] - 0.5 * h, 0.4 * h, h], 1).astype(np.float32)
    scores = np.where(person >= 0, 0.8, 0.35).astype(np.float32)

    clothes = rng.dirichlet(np.full(PART_BINS, 0.3), (people + 1, len(PARTS)))
    clothes[-1] = 1.0 / PART_BINS  # false detections: nothing in particular
    noise = rng.random((n, len(PARTS), PART_BINS), np.float32) * (0.5 / PART_BINS)
    appearance = clothes[person] + noise
    appearance /= appearance.sum(-1, keepdims=True)

    offsets = np.zeros(frames + 1, np.int64)
    np.cumsum(np.bincount(frame, minlength=frames), out=offsets[1:])
    table = PoseTable(offsets=offsets, keypoints=keypoints, boxes=boxes, scores=scores,
                      idx=ids.astype(np.int32))
    return SyntheticPoses(table, appearance.reshape(n, DESCRIPTOR_SIZE).astype(np.float16),
                          np.arange(frames) / fps, person)


def _presence(frames: int, fps: float, rng) -> np.ndarray:
    """Seen for spells of about 20 s, hidden between them for 0.1 to 6 s."""
    visible = np.zeros(frames, bool)
    t = int(rng.integers(0, int(5 * fps)))
    while t < frames:
        spell = int(rng.exponential(20 * fps)) + int(fps)
        visible[t:t + spell] = True
        t += spell + int(rng.uniform(0.1, 6.0) * fps)
    return visible


def _reflected(path: np.ndarray, xs: tuple[float, float], ys: tuple[float, float]) -> np.ndarray:
    """``path`` folded back into the box ``xs`` x ``ys`` (people turn at the walls)."""
    out = path.copy()
    for axis, (low, high) in enumerate((xs, ys)):
        span = high - low
        folded = np.mod(out[:, axis] - low, 2 * span)
        out[:, axis] = low + np.where(folded > span, 2 * span - folded, folded)
    return out
