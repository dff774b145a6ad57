"""What the viewer shows, apart from the widgets that show it: frame, overlay options and
the selected people.

Controls change the state; the canvas, timeline and plots observe it. Tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class OverlayOptions:
    skeleton: bool = True
    keypoints: bool = True
    boxes: bool = True
    labels: bool = True
    threshold: float = 0.3  # keypoints scoring below this are not drawn
    hidden: frozenset[int] = field(default_factory=frozenset)  # track ids not drawn
    filtered: bool = False  # the overlay shows the filtered layer (else the edited one)
    rejected: bool = False  # the raw layer's rejected detections are drawn, faintly


@dataclass(frozen=True)
class Selection:
    """The identity edits act on, and the other one of a merge or swap (Shift+click)."""

    identity: int | None = None
    other: int | None = None


class ViewerState(QObject):
    frameChanged = Signal(int)
    optionsChanged = Signal(object)  # OverlayOptions
    selectionChanged = Signal(object)  # Selection
    rejectedPicked = Signal(object)  # raw index of the rejected detection picked, or None

    def __init__(self, frame_count: int, parent=None) -> None:
        super().__init__(parent)
        self.frame_count = frame_count
        self._frame = 0
        self._options = OverlayOptions()
        self._selection = Selection()
        self._picked_rejected: int | None = None

    @property
    def picked_rejected(self) -> int | None:
        """The rejected detection of this frame picked for promotion (its raw index)."""
        return self._picked_rejected

    def pick_rejected(self, raw_index: int | None) -> None:
        if raw_index != self._picked_rejected:
            self._picked_rejected = raw_index
            self.rejectedPicked.emit(raw_index)

    @property
    def selection(self) -> Selection:
        return self._selection

    def select(self, identity: int | None, other: bool = False) -> None:
        """Select ``identity`` (None: nobody), or with ``other`` mark it as the other one."""
        current = self._selection
        if other:
            chosen = Selection(current.identity, None if identity == current.identity
                               else identity)
        else:
            chosen = Selection(identity, None if identity == current.other else current.other)
        if chosen != current:
            self._selection = chosen
            self.selectionChanged.emit(chosen)

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def options(self) -> OverlayOptions:
        return self._options

    def seek(self, frame: int) -> None:
        frame = max(0, min(int(frame), self.frame_count - 1))
        if frame != self._frame:
            self._frame = frame
            self.pick_rejected(None)  # a pick names a detection of one frame
            self.frameChanged.emit(frame)

    def step(self, delta: int) -> None:
        self.seek(self._frame + delta)

    def set_options(self, **changes) -> None:
        options = replace(self._options, **changes)
        if options != self._options:
            self._options = options
            self.optionsChanged.emit(options)

    def set_track_visible(self, track: int, visible: bool) -> None:
        hidden = set(self._options.hidden)
        (hidden.discard if visible else hidden.add)(track)
        self.set_options(hidden=frozenset(hidden))
