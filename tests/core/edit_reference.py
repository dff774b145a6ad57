"""Hand-made results and a slow, obviously right replay of edits, for the edit tests.

The reference keeps results as a list of frames, each a list of detections (dicts), and
applies each operation by walking them: nothing shared with ``core.edited_table``.
"""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core import edits
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import FramePoses, Person

K = 5  # keypoints per pose: small, the code does not care


def make_table(presence: dict[int, range], frames: int, seed: int = 0,
               untracked: dict[int, int] | None = None) -> PoseTable:
    """Identity ``i`` is in every frame of ``presence[i]``; ``untracked[f]`` more people
    without an id in frame ``f``. Poses differ everywhere (random), ids in shuffled order
    inside each frame, as a tracker leaves them."""
    rng = np.random.default_rng(seed)
    out = []
    for f in range(frames):
        ids = [i for i, span in presence.items() if f in span]
        ids += [-1] * (untracked or {}).get(f, 0)
        rng.shuffle(ids)
        people = []
        for i in ids:
            kp = rng.random((K, 3)).astype(np.float32) * [640, 480, 1]
            x, y = rng.random(2) * 500
            people.append(Person(kp, (float(x), float(y), 60.0, 120.0), float(rng.random()), i))
        out.append(FramePoses(f, f / 30, people))
    return PoseTable.from_frames(out, K)


def to_frames(table: PoseTable) -> list[list[dict]]:
    return [[{"idx": int(table.idx[r]), "kp": table.keypoints[r].copy(),
              "box": table.boxes[r].copy(), "score": float(table.scores[r])}
             for r in range(table.rows(f).start, table.rows(f).stop)]
            for f in range(table.num_frames)]


def replay(frames: list[list[dict]], ops, raw: PoseTable | None = None) -> list[list[dict]]:
    """Apply ``ops`` one by one by walking every detection; ops that do not fit are skipped,
    as the edit session does. Promoted detections go after the frame's others."""
    frames = [[dict(d, kp=d["kp"].copy()) for d in frame] for frame in frames]
    promoted: set[tuple[int, int]] = set()

    def find(f, i):
        return next((d for d in frames[f] if d["idx"] == i), None) if 0 <= f < len(frames) \
            else None

    def present(i):
        return [f for f, frame in enumerate(frames) if any(d["idx"] == i for d in frame)]

    for op in ops:
        if isinstance(op, edits.Merge):
            a, b = set(present(op.into)), set(present(op.source))
            if op.source != op.into and a and b and not a & b and -1 not in (op.source, op.into):
                for frame in frames:
                    for d in frame:
                        if d["idx"] == op.source:
                            d["idx"] = op.into
        elif isinstance(op, edits.Swap):
            last = len(frames) - 1 if op.last is None else op.last
            if (op.a != op.b and present(op.a) and present(op.b)
                    and 0 <= op.first <= last < len(frames)
                    and -1 not in (op.a, op.b)):
                for frame in frames[op.first:last + 1]:
                    for d in frame:
                        if d["idx"] in (op.a, op.b):
                            d["idx"] = op.b if d["idx"] == op.a else op.a
        elif isinstance(op, edits.Split):
            seen = present(op.identity)
            if (seen and seen[0] < op.frame <= seen[-1] and not present(op.new_identity)
                    and op.identity != -1):
                for frame in frames[op.frame:]:
                    for d in frame:
                        if d["idx"] == op.identity:
                            d["idx"] = op.new_identity
        elif isinstance(op, edits.DeleteDetection):
            d = find(op.frame, op.identity)
            if d is not None and op.identity != -1:
                frames[op.frame].remove(d)
        elif isinstance(op, edits.DeleteIdentity):
            first = op.first or 0
            last = len(frames) - 1 if op.last is None else op.last
            for f in range(first, last + 1):
                frames[f] = [d for d in frames[f] if d["idx"] != op.identity]
        elif isinstance(op, edits.MoveKeypoint | edits.HideKeypoint):
            d = find(op.frame, op.identity)
            if d is not None and 0 <= op.keypoint < len(d["kp"]) and op.identity != -1:
                if isinstance(op, edits.MoveKeypoint):
                    d["kp"][op.keypoint, :2] = (op.x, op.y)
                else:
                    d["kp"][op.keypoint, 2] = 0
        elif isinstance(op, edits.Promote):
            key = (op.frame, op.raw_index)
            if (raw is not None and key not in promoted and find(op.frame, op.identity) is None
                    and op.raw_index < raw.count(op.frame)):
                r = raw.rows(op.frame).start + op.raw_index
                promoted.add(key)
                frames[op.frame].append({"idx": op.identity, "kp": raw.keypoints[r].copy(),
                                         "box": raw.boxes[r].copy(),
                                         "score": float(raw.scores[r])})
    return frames


def same(table: PoseTable, frames: list[list[dict]]) -> bool:
    """``table`` holds exactly ``frames``: the same people in each frame, in any order."""
    got = to_frames(table)
    if len(got) != len(frames):
        return False

    def key(d):
        return (d["idx"], tuple(np.round(d["box"], 3)), tuple(np.round(d["kp"].ravel(), 3)),
                round(d["score"], 5))

    return all(sorted(map(key, a)) == sorted(map(key, b)) for a, b in zip(got, frames,
                                                                             strict=True))


def from_frames(frames: list[list[dict]], num_keypoints: int) -> PoseTable:
    """The reference's results as a ``PoseTable`` (to write a task folder that has them)."""
    return PoseTable.from_frames(
        [FramePoses(f, 0.0, [Person(d["kp"], tuple(float(v) for v in d["box"]), d["score"],
                                    d["idx"]) for d in frame])
         for f, frame in enumerate(frames)], num_keypoints)
