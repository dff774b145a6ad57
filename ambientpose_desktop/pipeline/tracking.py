"""Stable track ids (``idx``) across frames, from Roboflow's ``trackers`` ByteTrack.

ByteTrack matches people by their boxes with a Kalman motion model and keeps a lost track
alive for a while, so a person who is missed for a few frames, or crosses someone, comes back
with the same id. Ids are renumbered 1, 2, 3… in order of first appearance, so exports read
naturally whatever numbering the library uses inside.

The library confirms a track only on its second frame, and leaves weak detections it cannot
match untracked (``-1``). We want an id on every person, so a newly confirmed track also claims
the unconfirmed person of the previous frame it grew from (the best box overlap), and anyone
still untracked gets an id of their own.
"""

from __future__ import annotations

import warnings

import numpy as np

from ambientpose_desktop.core.poses import Person

# Seconds a track survives unseen before its person gets a new id on return.
_LOST_TRACK_S = 1.5


class PoseTracker:
    """Assigns ``idx`` to the people of each frame, in frame order."""

    def __init__(self, fps: float = 30.0, conf: float = 0.25) -> None:
        from trackers import ByteTrackTracker

        fps = fps if fps and fps > 0 else 30.0
        self._tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(_LOST_TRACK_S * fps)),
            frame_rate=fps,
            # Every person the backend reports is worth a track at once: the backend already
            # applied the user's confidence threshold.
            track_activation_threshold=conf,
            minimum_consecutive_frames=1,
            high_conf_det_threshold=conf,
        )
        self._ids: dict[int, int] = {}
        self._next_id = 1
        self._unconfirmed: list[Person] = []  # the previous frame's people left at -1

    def update(self, persons: list[Person], timestamp: float | None = None) -> list[Person]:
        """Set ``idx`` on ``persons`` (seen at ``timestamp`` seconds, for variable frame
        rates) and return them. People of a track's first frame keep ``-1`` until the next
        call (or ``finish``) settles them."""
        import supervision as sv

        if persons:
            detections = sv.Detections(
                xyxy=np.array([p.box_xyxy for p in persons], dtype=np.float32),
                confidence=np.array([p.score for p in persons], dtype=np.float32),
                class_id=np.zeros(len(persons), dtype=int),
                data={"person": np.arange(len(persons))},
            )
        else:
            detections = sv.Detections.empty()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tracked = self._tracker.update(detections, timestamp=timestamp)
        rows = tracked.data.get("person", []) if tracked.tracker_id is not None else []
        for row, track in zip(rows, tracked.tracker_id, strict=True):
            if track < 0:
                continue
            person = persons[int(row)]
            if int(track) not in self._ids:
                self._ids[int(track)] = self._claim_unconfirmed(person)
            person.idx = self._ids[int(track)]
        for person in self._unconfirmed:  # never confirmed: a track of one frame
            person.idx = self._new_id()
        self._unconfirmed = [p for p in persons if p.idx < 0]
        return persons

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _claim_unconfirmed(self, person: Person) -> int:
        """Id for a just-confirmed track, given to its first detection in the previous frame."""
        best = max(self._unconfirmed, key=lambda p: _iou(p.box_xyxy, person.box_xyxy),
                   default=None)
        new_id = self._new_id()
        if best is not None and _iou(best.box_xyxy, person.box_xyxy) > 0:
            best.idx = new_id
            self._unconfirmed = [p for p in self._unconfirmed if p is not best]
        return new_id

    def finish(self) -> None:
        """Give ids to the last frame's unconfirmed people (call after the last frame)."""
        for person in self._unconfirmed:
            person.idx = self._new_id()
        self._unconfirmed = []


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
