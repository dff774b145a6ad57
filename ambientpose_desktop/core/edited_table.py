"""The edited layer in memory: the linked table with edit operations applied one at a time.

An edit touches only the rows of the identities it names (kept per identity, in order), never
the whole table, so one edit on an hour of results takes a fraction of a millisecond, and
undoing it puts back exactly what it changed. Rows never move while the viewer looks at them:
a deleted detection keeps its row with the id ``REMOVED``; ``to_table`` packs the live rows
into a plain ``PoseTable`` for exports. Rejected detections of the raw layer that may be
promoted are added once as removed rows (``add_candidates``), so promoting one is an edit
like the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ambientpose_desktop.core.edits import (
    DeleteDetection,
    DeleteIdentity,
    HideKeypoint,
    Merge,
    MoveKeypoint,
    Operation,
    Promote,
    Rename,
    Split,
    Swap,
)
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import Person

REMOVED = np.int32(np.iinfo(np.int32).min)  # the id of a deleted (or not promoted) row
UNTRACKED = -1
_NO_ROWS = np.zeros(0, np.int64)
_NO_IDS = np.zeros(0, np.int32)


class EditRefused(InputError):
    """An operation that does not apply to the results as they are; the message says why."""


@dataclass
class Applied:
    """What one applied operation changed, enough to undo it and to redraw only that."""

    op: Operation
    rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)  # rows whose id changed, sorted
    old_ids: np.ndarray = field(default_factory=lambda: _NO_IDS)  # their ids before
    new_ids: np.ndarray = field(default_factory=lambda: _NO_IDS)  # and after
    point: tuple[int, int, np.ndarray] | None = None  # (row, keypoint, old x, y, score)
    names: dict[int, str | None] = field(default_factory=dict)  # names before
    identities: frozenset[int] = frozenset()  # every identity it changed
    frames: tuple[int, int] = (0, -1)  # first and last frame it changed


@dataclass(frozen=True)
class IdentityStats:
    identity: int
    name: str
    first: int
    last: int
    detections: int
    mean_score: float


def _insert(rows: np.ndarray, more: np.ndarray) -> np.ndarray:
    """``rows`` and ``more`` (both sorted, none in common), sorted: one pass, no sort."""
    return np.insert(rows, np.searchsorted(rows, more), more) if len(rows) else more


def _remove(rows: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """``rows`` (sorted) without ``gone`` (sorted, all of them in ``rows``)."""
    return np.delete(rows, np.searchsorted(rows, gone))


def _distinct(ids: np.ndarray, peek: int = 3) -> list[int]:
    """The ids in ``ids``: mostly one or two, so pick them off before sorting them all."""
    found = []
    while len(ids) and len(found) < peek:
        found.append(int(ids[0]))
        ids = ids[ids != ids[0]]
    return found + np.unique(ids).tolist()


def warm_up() -> None:
    """Pay ahead what only the first edit would: NumPy 2 imports numpy.ma on the first plain
    ``np.unique`` (30 ms under PySide's import hook), which the viewer does while idle."""
    _distinct(np.zeros(1, np.int32), peek=0)


class EditedTable:
    """The linked table and the operations applied to it so far.

    With ``owned`` the linked table is this one's to change (it was read for it alone): the
    keypoints of an hour are not copied then. Otherwise the caller's table stays as it was:
    the ids are copied, and the keypoints before the first keypoint edit."""

    def __init__(self, linked: PoseTable, owned: bool = False) -> None:
        self.table = PoseTable(offsets=linked.offsets, keypoints=linked.keypoints,
                               boxes=linked.boxes, scores=linked.scores,
                               idx=linked.idx if owned else linked.idx.copy())
        self._own_keypoints = owned
        self.names: dict[int, str] = {}
        self.applied: list[Applied] = []
        self._confidence: np.ndarray | None = None  # mean keypoint score per row, once asked
        self._candidates: dict[tuple[int, int], int] = {}  # (frame, raw index) -> row
        idx = self.table.idx
        order = np.argsort(idx, kind="stable")  # rows of each id stay in frame order
        ids, starts = np.unique(idx[order], return_index=True)
        self._rows = {int(i): rows for i, rows in
                      zip(ids, np.split(order.astype(np.int64), starts[1:]), strict=True)}
        self._next = max(int(idx.max(initial=0)) + 1, 1)

    # -- reading -------------------------------------------------------------------------

    @property
    def num_frames(self) -> int:
        return self.table.num_frames

    @property
    def num_keypoints(self) -> int:
        return self.table.num_keypoints

    def identities(self) -> list[int]:
        return sorted(self._rows)

    def rows_of(self, identity: int) -> np.ndarray:
        """The live rows of ``identity``, in frame order (empty if it has none)."""
        return self._rows.get(identity, _NO_ROWS)

    def frames_of(self, identity: int) -> np.ndarray:
        return self.table.frame_of_row()[self.rows_of(identity)]

    def row_at(self, frame: int, identity: int) -> int | None:
        rows = self.rows_of(identity)
        k = int(np.searchsorted(rows, self.table.offsets[frame]))
        if k < len(rows) and rows[k] < self.table.offsets[frame + 1]:
            return int(rows[k])
        return None

    def live_rows(self, frame: int) -> np.ndarray:
        span = self.table.rows(frame)
        rows = np.arange(span.start, span.stop)
        return rows[self.table.idx[span] != REMOVED]

    def persons(self, frame: int) -> list[Person]:
        if not 0 <= frame < self.num_frames:
            return []
        t = self.table
        return [Person(keypoints=t.keypoints[r], box=tuple(float(v) for v in t.boxes[r]),
                       score=float(t.scores[r]), idx=int(t.idx[r]))
                for r in self.live_rows(frame).tolist()]

    def name(self, identity: int) -> str:
        return self.names.get(identity, "")

    def label(self, identity: int) -> str:
        """How people see an identity: ``#3 child A``, ``#3``, or ``untracked``."""
        if identity == UNTRACKED:
            return "untracked"
        name = self.name(identity)
        return f"#{identity} {name}" if name else f"#{identity}"

    def stats(self, identity: int) -> IdentityStats:
        rows = self.rows_of(identity)
        frames = self.table.frame_of_row()[rows]
        return IdentityStats(identity, self.name(identity),
                             int(frames[0]) if len(rows) else -1,
                             int(frames[-1]) if len(rows) else -1, len(rows),
                             float(self.table.scores[rows].mean()) if len(rows) else 0.0)

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        """The mean keypoint score of ``rows`` (kept for every row after the first call, so a
        plot of an hour-long identity does not average its keypoints again after an edit)."""
        if self._confidence is None:
            self._confidence = self.table.keypoints[:, :, 2].mean(axis=1)
        return self._confidence[rows]

    def next_identity(self) -> int:
        """An id no identity has had yet (for a split or a promoted detection)."""
        return self._next

    def is_candidate(self, frame: int, raw_index: int) -> bool:
        return (frame, raw_index) in self._candidates

    def is_promoted(self, frame: int, raw_index: int) -> bool:
        """The raw layer's detection ``raw_index`` of ``frame`` is an identity's now."""
        row = self._candidates.get((frame, raw_index))
        return row is not None and self.table.idx[row] != REMOVED

    def to_table(self) -> PoseTable:
        """The live rows as a plain ``PoseTable`` (its own arrays), as exports need."""
        t = self.table
        keep = t.idx != REMOVED
        offsets = np.zeros_like(t.offsets)
        np.cumsum(np.bincount(t.frame_of_row()[keep], minlength=t.num_frames),
                  out=offsets[1:])
        return PoseTable(offsets=offsets, keypoints=t.keypoints[keep], boxes=t.boxes[keep],
                         scores=t.scores[keep], idx=t.idx[keep])

    # -- editing -------------------------------------------------------------------------

    def apply(self, op: Operation) -> Applied:
        """Apply ``op``; ``EditRefused`` (and nothing changed) when it does not fit."""
        handlers = {Rename: self._rename, Merge: self._merge, Swap: self._swap,
                    Split: self._split, DeleteDetection: self._delete_detection,
                    DeleteIdentity: self._delete_identity, MoveKeypoint: self._move_keypoint,
                    HideKeypoint: self._hide_keypoint, Promote: self._promote}
        applied = handlers[type(op)](op)
        if len(applied.rows):
            self._reassign(applied.rows, applied.new_ids)
        self.applied.append(applied)
        return applied

    def undo(self) -> Applied:
        """Take back the last applied operation exactly."""
        applied = self.applied.pop()
        if len(applied.rows):
            self._reassign(applied.rows, applied.old_ids)
        if applied.point is not None:
            row, k, old = applied.point
            self.table.keypoints[row, k] = old
            self._rescore(row)
        for identity, name in applied.names.items():
            self._set_name(identity, name)
        return applied

    def add_candidates(self, raw: PoseTable, picks: Iterable[tuple[int, int]]) -> None:
        """Add detections of the ``raw`` layer, ``(frame, index in that frame)``, as removed
        rows that ``Promote`` can bring in. Rows move (one copy of the arrays), so every row
        number kept here, including those of the applied operations, is moved with them."""
        t = self.table
        wanted = sorted({p for p in picks if p not in self._candidates})
        wanted = [(f, i) for f, i in wanted
                  if 0 <= f < min(raw.num_frames, t.num_frames) and 0 <= i < raw.count(f)]
        if not wanted:
            return
        frames = np.array([f for f, _ in wanted], np.int64)
        source = raw.offsets[frames] + np.array([i for _, i in wanted], np.int64)
        extra = np.zeros_like(t.offsets)
        np.cumsum(np.bincount(frames, minlength=t.num_frames), out=extra[1:])
        old_to_new = np.arange(t.num_rows) + extra[t.frame_of_row()]
        extra_at = t.offsets[frames + 1] + np.arange(len(wanted))
        rows = t.num_rows + len(wanted)

        def merged(old: np.ndarray, new: np.ndarray) -> np.ndarray:
            out = np.empty((rows, *old.shape[1:]), old.dtype)
            out[old_to_new], out[extra_at] = old, new
            return out

        self.table = PoseTable(
            offsets=t.offsets + extra,
            keypoints=merged(t.keypoints, raw.keypoints[source]),
            boxes=merged(t.boxes, raw.boxes[source]), scores=merged(t.scores, raw.scores[source]),
            idx=merged(t.idx, np.full(len(wanted), REMOVED, np.int32)))
        self._own_keypoints = True
        self._confidence = None
        self._rows = {i: old_to_new[r] for i, r in self._rows.items()}
        self._candidates = {key: int(old_to_new[r]) for key, r in self._candidates.items()}
        self._candidates.update(zip(wanted, extra_at.tolist(), strict=True))
        for a in self.applied:
            a.rows = old_to_new[a.rows]
            if a.point is not None:
                a.point = (int(old_to_new[a.point[0]]), a.point[1], a.point[2])

    # -- the operations: each checks, then says which rows get which id ---------------

    def _rename(self, op: Rename) -> Applied:
        self._existing(op.identity)
        old = self.names.get(op.identity)
        self._set_name(op.identity, op.name.strip())
        return self._changed(op, (op.identity,), names={op.identity: old})

    def _merge(self, op: Merge) -> Applied:
        if op.source == op.into:
            raise EditRefused(f"#{op.source} cannot be merged into itself")
        source = self._existing(op.source)
        into = self._existing(op.into)
        frame_of = self.table.frame_of_row()
        both = np.intersect1d(frame_of[source], frame_of[into], assume_unique=True)
        if len(both):
            more = f" and {len(both) - 1} more" if len(both) > 1 else ""
            raise EditRefused(f"#{op.source} and #{op.into} are both in frame {both[0]}{more}: "
                              f"they are two people there (swap or delete first)")
        old = self.names.get(op.source)
        self._set_name(op.source, None)
        return self._assign(op, source, op.into, (op.source, op.into),
                            names={op.source: old})

    def _swap(self, op: Swap) -> Applied:
        if op.a == op.b:
            raise EditRefused(f"#{op.a} cannot be swapped with itself")
        last = self.num_frames - 1 if op.last is None else op.last
        self._span(op.first, last)
        lo, hi = self.table.offsets[op.first], self.table.offsets[last + 1]
        parts = []
        for identity, other in ((op.a, op.b), (op.b, op.a)):
            rows = self._existing(identity)
            part = rows[np.searchsorted(rows, lo):np.searchsorted(rows, hi)]
            parts.append((part, np.full(len(part), other, np.int32)))
        rows = np.concatenate([p for p, _ in parts])
        if not len(rows):
            raise EditRefused(f"neither #{op.a} nor #{op.b} is in frames {op.first}–{last}")
        order = np.argsort(rows)
        return self._changed(op, (op.a, op.b), rows[order],
                             np.concatenate([n for _, n in parts])[order], (op.first, last))

    def _split(self, op: Split) -> Applied:
        rows = self._existing(op.identity)
        self._span(op.frame, op.frame)
        self._fresh(op.new_identity)
        k = int(np.searchsorted(rows, self.table.offsets[op.frame]))
        if k == 0 or k == len(rows):
            stats = self.stats(op.identity)
            raise EditRefused(f"#{op.identity} is in frames {stats.first}–{stats.last}: "
                              f"splitting at frame {op.frame} would leave nothing on one side")
        return self._assign(op, rows[k:], op.new_identity, (op.identity, op.new_identity))

    def _delete_detection(self, op: DeleteDetection) -> Applied:
        row = self._detection(op.frame, op.identity)
        return self._assign(op, np.array([row], np.int64), REMOVED, (op.identity,))

    def _delete_identity(self, op: DeleteIdentity) -> Applied:
        rows = self._existing(op.identity, allow_untracked=True)
        first = 0 if op.first is None else op.first
        last = self.num_frames - 1 if op.last is None else op.last
        self._span(first, last)
        lo, hi = self.table.offsets[first], self.table.offsets[last + 1]
        part = rows[np.searchsorted(rows, lo):np.searchsorted(rows, hi)]
        if not len(part):
            raise EditRefused(f"#{op.identity} is not in frames {first}–{last}")
        return self._assign(op, part, REMOVED, (op.identity,))

    def _move_keypoint(self, op: MoveKeypoint) -> Applied:
        row = self._detection(op.frame, op.identity)
        self._keypoint(op.keypoint)
        if not (np.isfinite(op.x) and np.isfinite(op.y)):
            raise EditRefused("a keypoint needs a finite position")
        return self._set_point(op, row, {0: op.x, 1: op.y})

    def _hide_keypoint(self, op: HideKeypoint) -> Applied:
        row = self._detection(op.frame, op.identity)
        self._keypoint(op.keypoint)
        if self.table.keypoints[row, op.keypoint, 2] == 0:
            raise EditRefused(f"keypoint {op.keypoint} of #{op.identity} in frame {op.frame} "
                              f"is already not visible")
        return self._set_point(op, row, {2: 0.0})

    def _promote(self, op: Promote) -> Applied:
        row = self._candidates.get((op.frame, op.raw_index))
        if row is None:
            raise EditRefused(f"the raw layer has no detection {op.raw_index} in frame "
                              f"{op.frame}")
        if self.table.idx[row] != REMOVED:
            raise EditRefused(f"detection {op.raw_index} of frame {op.frame} is already "
                              f"#{int(self.table.idx[row])}")
        if op.identity < 0:
            raise EditRefused("a promoted detection needs an id from 1 up")
        if self.row_at(op.frame, op.identity) is not None:
            raise EditRefused(f"#{op.identity} is already in frame {op.frame}")
        self._next = max(self._next, op.identity + 1)
        return self._assign(op, np.array([row], np.int64), op.identity, (op.identity,))

    # -- helpers -----------------------------------------------------------------------

    def _existing(self, identity: int, allow_untracked: bool = False) -> np.ndarray:
        if identity == UNTRACKED and not allow_untracked:
            raise EditRefused("untracked detections (#-1) have no identity to edit one by "
                              "one; delete them, or give them one by promoting")
        rows = self.rows_of(identity)
        if not len(rows):
            raise EditRefused(f"there is no #{identity} in these results")
        return rows

    def _fresh(self, identity: int) -> None:
        if identity < 1:
            raise EditRefused("a new identity needs an id from 1 up")
        if len(self.rows_of(identity)):
            raise EditRefused(f"#{identity} already exists")
        self._next = max(self._next, identity + 1)

    def _span(self, first: int, last: int) -> None:
        end = self.num_frames - 1
        for frame in (first, last):
            if not 0 <= frame <= end:
                raise EditRefused(f"frame {frame} is outside the results (0–{end})")
        if first > last:
            raise EditRefused(f"frames {first}–{last}: the first comes after the last")

    def _detection(self, frame: int, identity: int) -> int:
        self._existing(identity)
        self._span(frame, frame)
        row = self.row_at(frame, identity)
        if row is None:
            raise EditRefused(f"#{identity} is not in frame {frame}")
        return row

    def _keypoint(self, k: int) -> None:
        if not 0 <= k < self.num_keypoints:
            raise EditRefused(f"keypoint {k} does not exist (0–{self.num_keypoints - 1})")

    def _set_point(self, op: MoveKeypoint | HideKeypoint, row: int,
                   values: dict[int, float]) -> Applied:
        """Set columns (0 x, 1 y, 2 score) of one keypoint."""
        if not self._own_keypoints:  # the caller's linked table stays as it was
            self.table.keypoints = self.table.keypoints.copy()
            self._own_keypoints = True
        point = self.table.keypoints[row, op.keypoint]
        old = point.copy()
        for column, value in values.items():
            point[column] = value
        self._rescore(row)
        return Applied(op, point=(row, op.keypoint, old), identities=frozenset({op.identity}),
                       frames=(op.frame, op.frame))

    def _assign(self, op: Operation, rows: np.ndarray, identity: int, touched: tuple,
                names: dict | None = None) -> Applied:
        frames = self.table.frame_of_row()[rows[[0, -1]]]
        return self._changed(op, touched, rows, np.full(len(rows), identity, np.int32),
                             (int(frames[0]), int(frames[1])), names)

    def _changed(self, op: Operation, touched: tuple, rows: np.ndarray = _NO_ROWS,
                 new_ids: np.ndarray = _NO_IDS, frames: tuple[int, int] | None = None,
                 names: dict | None = None) -> Applied:
        if frames is None:
            stats = [self.stats(i) for i in touched if len(self.rows_of(i))]
            frames = (min((s.first for s in stats), default=0),
                      max((s.last for s in stats), default=-1))
        return Applied(op, rows, self.table.idx[rows].copy(), new_ids, None, names or {},
                       frozenset(touched), frames)

    def _rescore(self, row: int) -> None:
        if self._confidence is not None:
            self._confidence[row] = self.table.keypoints[row, :, 2].mean()

    def _set_name(self, identity: int, name: str | None) -> None:
        if name:
            self.names[identity] = name
        else:
            self.names.pop(identity, None)

    def _reassign(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Give ``rows`` (sorted) the ``ids``, keeping the rows of each identity in order."""
        old = self.table.idx[rows]
        for identity in _distinct(old):
            if identity != REMOVED:
                kept = _remove(self._rows[identity], rows[old == identity])
                if len(kept):
                    self._rows[identity] = kept
                else:
                    del self._rows[identity]
        self.table.idx[rows] = ids
        for identity in _distinct(ids):
            if identity != REMOVED:
                self._rows[identity] = _insert(self.rows_of(identity), rows[ids == identity])
