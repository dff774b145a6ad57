"""The viewer's edits on Qt's undo stack, over the task's ``EditSession``.

Every edit is applied (and saved) by the session first; only an edit that fitted goes on the
stack, as a command whose undo and redo go back to the session. The edits already in the
file when the viewer opened are on the stack too, so the history shown is the whole log and
Ctrl+Z can take back yesterday's edit as well. ``changed`` says which identities to redraw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ambientpose_desktop.core.edit_session import EditSession
from ambientpose_desktop.core.edited_table import Applied, EditedTable
from ambientpose_desktop.core.edits import EditConflict, Operation
from ambientpose_desktop.core.errors import AmbientPoseError


@dataclass(frozen=True)
class Change:
    """What an edit (or its undo) changed: these identities (their detections, or only
    their names), or everything."""

    identities: frozenset[int] = frozenset()
    everything: bool = False
    names_only: bool = False

    @classmethod
    def of(cls, applied: Applied | None) -> Change:
        if applied is None:
            return cls()
        return cls(applied.identities,
                   names_only=not len(applied.rows) and applied.point is None)


class _EditCommand(QUndoCommand):
    def __init__(self, history: EditHistory, op: Operation, applied: bool) -> None:
        super().__init__(op.describe())
        self.op = op
        self._history = history
        self._skip_redo = applied  # pushing redoes a command: this one is applied already

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._history.run(lambda s: Change.of(s.apply(self.op)))

    def undo(self) -> None:
        self._history.run(lambda s: Change.of(s.undo()))


class _RevertCommand(QUndoCommand):
    def __init__(self, history: EditHistory) -> None:
        super().__init__("Revert all edits")
        self._history = history
        self._ops: list[Operation] = []

    def redo(self) -> None:
        def revert(session: EditSession) -> Change:
            self._ops = [e.op for e in session.revert()]
            return Change(everything=True)

        self._history.run(revert)

    def undo(self) -> None:
        self._history.run(lambda s: (s.reapply(self._ops), Change(everything=True))[1])


class EditHistory(QObject):
    changed = Signal(object)  # Change
    refused = Signal(str)  # why an edit was not made, in one line

    def __init__(self, open_session: Callable[[], EditSession], parent=None) -> None:
        super().__init__(parent)
        self._open = open_session
        self.stack = QUndoStack(self)
        self.session = open_session()
        self._fill_stack()

    @property
    def table(self) -> EditedTable:
        return self.session.table

    def _fill_stack(self) -> None:
        for entry in self.session.log.entries:
            self.stack.push(_EditCommand(self, entry.op, applied=True))
        self.stack.setClean()

    def edit(self, op: Operation) -> bool:
        """Make the edit ``op``: True if it was made, else ``refused`` says why."""
        try:
            applied = self.session.apply(op)
        except AmbientPoseError as exc:
            self._failed(exc)
            return False
        self.stack.push(_EditCommand(self, op, applied=True))
        self.changed.emit(Change.of(applied))
        return True

    def revert_all(self) -> bool:
        if not self.session.log.entries:
            self.refused.emit("there are no edits to revert")
            return False
        self.stack.push(_RevertCommand(self))
        return True

    def run(self, step: Callable[[EditSession], Change]) -> None:
        """Run an undo or redo of the stack on the session. If it fails, the stack no longer
        matches the file: read the file again, once the stack has finished this command."""
        try:
            change = step(self.session)
        except AmbientPoseError as exc:
            QTimer.singleShot(0, lambda failure=exc: self._read_again(failure))
            return
        self.changed.emit(change)

    def _failed(self, exc: AmbientPoseError) -> None:
        if isinstance(exc, EditConflict):  # someone else saved: show what is in the file now
            self._read_again(exc)
        else:
            self.refused.emit(str(exc))

    def _read_again(self, exc: AmbientPoseError) -> None:
        self.reload()
        self.refused.emit(f"{exc}; the edits were read again" if isinstance(exc, EditConflict)
                          else str(exc))

    def reload(self) -> None:
        """Read the edit file again (it changed elsewhere): the stack starts from it."""
        self.session = self._open()
        self.stack.clear()
        self._fill_stack()
        self.changed.emit(Change(everything=True))
