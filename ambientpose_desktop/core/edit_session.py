"""One task's edited layer, kept in step with its edit file: where every edit is made.

The viewer's actions (through Qt's undo stack) and ``ambientpose tracks`` build the same
operations (``core.edits``) and hand them to ``EditSession.apply``, so an edit means the same
from either. Each edit is saved at once; opening replays the file once, and from then on
edits are applied one at a time (``core.edited_table``), never by replaying everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ambientpose_desktop.core.edited_table import Applied, EditedTable, EditRefused
from ambientpose_desktop.core.edits import EditLog, Entry, Operation, Promote, Split
from ambientpose_desktop.core.pose_table import PoseTable

RawLoader = Callable[[], PoseTable | None]
T = TypeVar("T")


class EditSession:
    """The linked table with the edit file ``path`` applied, and the file itself.

    ``raw`` loads the raw layer, read only when a promoted detection needs it; ``owned``
    says the linked table was read for this session alone (``EditedTable``). Operations of
    the file that no longer apply (the linked layer was made again) stay in the file, are
    left out of the table and listed in ``skipped`` with the reason."""

    def __init__(self, path: Path, linked: PoseTable, raw: RawLoader = lambda: None,
                 owned: bool = False) -> None:
        self.path = Path(path)
        self.log = EditLog.load(self.path)
        self.table = EditedTable(linked, owned)
        self._raw_loader, self._raw = raw, None
        self.skipped: list[tuple[Entry, str]] = []
        self._took_effect: list[bool] = []  # one per log entry
        self._add_candidates([op for op in self.log.ops if isinstance(op, Promote)])
        for entry in self.log.entries:
            try:
                self.table.apply(entry.op)
            except EditRefused as exc:
                self.skipped.append((entry, str(exc)))
                self._took_effect.append(False)
            else:
                self._took_effect.append(True)

    @property
    def ops(self) -> list[Operation]:
        return self.log.ops

    def apply(self, op: Operation) -> Applied:
        """Apply ``op`` and save it; ``EditRefused`` (nothing changed) when it does not fit,
        ``EditConflict`` when someone else saved the file since it was read."""
        if isinstance(op, Promote):
            self._add_candidates([op])
        applied = self.table.apply(op)
        try:
            self._change_log(lambda: self.log.append(op))
        except BaseException:
            self.table.undo()
            raise
        self._took_effect.append(True)
        return applied

    def undo(self) -> Applied | None:
        """Take the last operation off the log (kept in the file's history) and undo it;
        the ``Applied`` undone, or None if that operation had been skipped."""
        if not self.log.entries:
            raise EditRefused("there is no edit to undo")
        self._change_log(lambda: self.log.drop_last("undo"))
        return self.table.undo() if self._took_effect.pop() else None

    def revert(self) -> list[Entry]:
        """Take every operation off the log (kept in the file's history): the linked layer
        again. Returns what was taken off, which ``reapply`` can bring back."""
        if not self.log.entries:
            raise EditRefused("there are no edits to revert")
        entries = self._change_log(lambda: self.log.drop_all("revert"))
        for took_effect in reversed(self._took_effect):
            if took_effect:
                self.table.undo()
        self._took_effect = []
        self.skipped = []
        return entries

    def _change_log(self, change: Callable[[], T]) -> T:
        """Change the log and save it; if saving fails, the log is as it was before."""
        before = list(self.log.entries), list(self.log.dropped)
        result = change()
        try:
            self.log.save(self.path)
        except BaseException:
            self.log.entries, self.log.dropped = before
            raise
        return result

    def reapply(self, ops: Sequence[Operation]) -> list[Applied]:
        """Apply ``ops`` in order (undoing a revert); those that no longer fit are skipped."""
        done = []
        for op in ops:
            try:
                done.append(self.apply(op))
            except EditRefused:
                continue
        return done

    def split_op(self, identity: int, frame: int) -> Split:
        """Splitting ``identity`` at ``frame``, under an id no identity has had yet."""
        return Split(identity, frame, self.table.next_identity())

    def promote_op(self, frame: int, raw_index: int, identity: int | None = None) -> Promote:
        """Promoting the raw layer's detection ``raw_index`` of ``frame`` to ``identity``
        (a new one if None)."""
        return Promote(frame, raw_index,
                       self.table.next_identity() if identity is None else identity)

    def _add_candidates(self, promotes: Sequence[Promote]) -> None:
        picks = [(op.frame, op.raw_index) for op in promotes
                 if not self.table.is_candidate(op.frame, op.raw_index)]
        if not picks:
            return
        if self._raw is None:
            self._raw = self._raw_loader()
        if self._raw is not None:
            self.table.add_candidates(self._raw, picks)
