"""The viewer's proofreading and "where to look" actions, apart from the widgets.

Each action is one function of a ``ViewerContext``; the window makes a ``QAction`` of each
(menu entry and shortcut) and the canvas' context menu shows the same ones, so a menu, a key
and a right-click do exactly the same thing. The edits are the operations of ``core.edits``
that ``ambientpose tracks`` makes too. What an action must ask (the other identity when none
is marked, a frame, a name) goes through ``ctx.ask``, which tests may replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ambientpose_desktop.core import edits, where_to_look
from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.gui.viewer.edit_history import EditHistory
from ambientpose_desktop.gui.viewer.filtered import FilteredLayer
from ambientpose_desktop.gui.viewer.state import ViewerState


class Ask(Protocol):
    """What an action may have to ask the user; None (or False) when they cancel."""

    def identity(self, title: str, choices: list[tuple[int, str]]) -> int | None: ...
    def text(self, title: str, label: str, default: str) -> str | None: ...
    def frames(self, title: str, first: int, last: int, maximum: int) -> tuple[int, int] | None: ...
    def confirm(self, title: str, text: str) -> bool: ...


@dataclass
class ViewerContext:
    state: ViewerState
    history: EditHistory
    ask: Ask
    say: Callable[[str], None]  # one line in the status bar
    hovered: Callable[[], tuple[int, int] | None]  # (identity, keypoint) under the pointer
    fps: float
    filtered: FilteredLayer | None = None
    has_rejected: bool = False  # the task has a raw layer (rejected detections to promote)
    _found: dict = field(default_factory=dict)

    @property
    def table(self) -> EditedTable:
        return self.history.table

    def found(self, key: tuple, find: Callable[[], np.ndarray]) -> np.ndarray:
        """The where-to-look frames of ``key``, found once until the results change."""
        if key not in self._found:
            self._found[key] = find()
        return self._found[key]

    def forget_looks(self) -> None:
        self._found.clear()


@dataclass(frozen=True)
class ViewerAction:
    name: str
    text: str
    shortcut: str | None
    run: Callable[[ViewerContext], None]
    for_person: bool = False  # offered in the context menu of a person


# -- edits -------------------------------------------------------------------------------


def _selected(ctx: ViewerContext) -> int | None:
    identity = ctx.state.selection.identity
    if identity is None or identity not in ctx.table.identities():
        ctx.say("Select a person first: click their skeleton or box, lane or name")
        return None
    return identity


def _other(ctx: ViewerContext, identity: int, title: str) -> int | None:
    """The marked other identity (Shift+click), else the one the user picks."""
    other = ctx.state.selection.other
    if other is not None and other != identity and other in ctx.table.identities():
        return other
    choices = [(i, ctx.table.label(i)) for i in ctx.table.identities() if i not in (identity, -1)]
    if not choices:
        ctx.say("There is no other identity")
        return None
    return ctx.ask.identity(title, choices)


def rename(ctx: ViewerContext) -> None:
    identity = _selected(ctx)
    if identity is None:
        return
    name = ctx.ask.text(f"Name #{identity}", "Name (empty: no name):", ctx.table.name(identity))
    if name is not None:
        ctx.history.edit(edits.Rename(identity, name))


def merge(ctx: ViewerContext) -> None:
    source = _selected(ctx)
    into = None if source is None else _other(ctx, source, f"Merge #{source} into")
    if into is not None and ctx.history.edit(edits.Merge(source, into)):
        ctx.state.select(into)


def swap(ctx: ViewerContext) -> None:
    a = _selected(ctx)
    b = None if a is None else _other(ctx, a, f"Swap #{a} with, from frame {ctx.state.frame}")
    if b is not None:
        ctx.history.edit(edits.Swap(a, b, ctx.state.frame))


def swap_up_to(ctx: ViewerContext) -> None:
    a = _selected(ctx)
    b = None if a is None else _other(ctx, a, f"Swap #{a} with, from frame {ctx.state.frame}")
    if b is None:
        return
    last = ctx.table.num_frames - 1
    span = ctx.ask.frames(f"Swap #{a} and #{b}", ctx.state.frame, last, last)
    if span is not None:
        ctx.history.edit(edits.Swap(a, b, *span))


def split(ctx: ViewerContext) -> None:
    identity = _selected(ctx)
    if identity is None:
        return
    op = ctx.history.session.split_op(identity, ctx.state.frame)
    if ctx.history.edit(op):
        ctx.state.select(op.new_identity)


def delete_detection(ctx: ViewerContext) -> None:
    identity = _selected(ctx)
    if identity is not None:
        ctx.history.edit(edits.DeleteDetection(ctx.state.frame, identity))


def delete_identity(ctx: ViewerContext) -> None:
    identity = _selected(ctx)
    if identity is not None and ctx.history.edit(edits.DeleteIdentity(identity)):
        ctx.state.select(None)


def delete_frames(ctx: ViewerContext) -> None:
    identity = _selected(ctx)
    if identity is None:
        return
    stats = ctx.table.stats(identity)
    span = ctx.ask.frames(f"Delete #{identity} in frames", max(ctx.state.frame, stats.first),
                          stats.last, ctx.table.num_frames - 1)
    if span is not None:
        ctx.history.edit(edits.DeleteIdentity(identity, *span))


def hide_keypoint(ctx: ViewerContext) -> None:
    hit = ctx.hovered()
    if hit is None:
        ctx.say("Point at a keypoint to mark it not visible")
        return
    ctx.history.edit(edits.HideKeypoint(ctx.state.frame, *hit))


def move_keypoint(ctx: ViewerContext, identity: int, keypoint: int, x: float, y: float) -> None:
    """Where a dragged keypoint was dropped (the canvas calls this on release)."""
    ctx.history.edit(edits.MoveKeypoint(ctx.state.frame, identity, keypoint, x, y))


def promote(ctx: ViewerContext) -> None:
    """The rejected detection picked on the video becomes a new identity (undoable)."""
    picked = ctx.state.picked_rejected
    if picked is None:
        ctx.say("Show rejected detections (R) and click one first")
        return
    op = ctx.history.session.promote_op(ctx.state.frame, picked)
    if ctx.history.edit(op):
        ctx.state.pick_rejected(None)
        ctx.state.select(op.identity)
        ctx.say(f"Promoted to #{op.identity}")


def undo(ctx: ViewerContext) -> None:
    if ctx.history.stack.canUndo():
        ctx.history.stack.undo()
    else:
        ctx.say("Nothing to undo")


def redo(ctx: ViewerContext) -> None:
    if ctx.history.stack.canRedo():
        ctx.history.stack.redo()
    else:
        ctx.say("Nothing to redo")


def revert_all(ctx: ViewerContext) -> None:
    count = len(ctx.history.session.log.entries)
    if not count:
        ctx.say("There are no edits to revert")
        return
    if ctx.ask.confirm("Revert all edits?",
                       f"Take back all {count} edits? The results go back to what tracking "
                       f"gave; the edit file keeps them as history, and Undo brings them back."):
        ctx.history.revert_all()


# -- which results are shown -------------------------------------------------------------


def toggle_filtered(ctx: ViewerContext) -> None:
    """The overlay shows the filtered results, or the edited ones again."""
    layer = ctx.filtered
    if layer is None or not layer.exists:
        ctx.state.set_options(filtered=False)
        ctx.say("This task has no filtered results yet: Results → Filter… makes them")
        return
    show = not ctx.state.options.filtered
    ctx.state.set_options(filtered=show)
    if show and layer.stale:
        ctx.say("The filtered results are OUT OF DATE: edits were made after filtering "
                "(Results → Filter… again)")
    else:
        ctx.say("Showing the filtered results" if show else "Showing the edited results")


def toggle_rejected(ctx: ViewerContext) -> None:
    """Draw the detections re-linking rejected, faintly, so one can be promoted."""
    if not ctx.has_rejected:
        ctx.state.set_options(rejected=False)
        ctx.say("These results have no raw layer: no rejected detections to show")
        return
    show = not ctx.state.options.rejected
    ctx.state.set_options(rejected=show)
    if not show:
        ctx.state.pick_rejected(None)


# -- where to look -------------------------------------------------------------------------


LOOKS: dict[str, tuple[str, Callable[[ViewerContext], np.ndarray]]] = {
    "people": ("change in the people shown",
               lambda c: where_to_look.presence_changes(c.table, c.state.options.hidden)),
    "bounds": ("identity starts or ends",
               lambda c: where_to_look.bounds(c.table, c.state.options.hidden)),
    "overlaps": ("boxes overlap",
                 lambda c: where_to_look.overlaps(c.table, c.state.options.hidden)),
    "jumps": ("identity jumps",
              lambda c: where_to_look.jumps(c.table, c.fps, c.state.options.hidden)),
    "confidence": ("confidence drops below the threshold",
                   lambda c: where_to_look.confidence_drops(c.table, c.state.options.threshold,
                                                            c.state.options.hidden)),
}


def look(kind: str, step: int) -> Callable[[ViewerContext], None]:
    """Go to the next (``step`` 1) or previous (-1) frame of ``kind`` (``LOOKS``)."""
    what, finder = LOOKS[kind]

    def go(ctx: ViewerContext) -> None:
        options = ctx.state.options
        frames = ctx.found((kind, options.hidden, options.threshold), lambda: finder(ctx))
        frame = where_to_look.step_to(frames, ctx.state.frame, step)
        if frame is None and kind == "people":  # as ever: to the first or last frame
            frame = 0 if step < 0 else ctx.state.frame_count - 1
        if frame is None:
            ctx.say(f"No {'later' if step > 0 else 'earlier'} frame where {what}")
        else:
            ctx.state.seek(frame)

    return go


EDIT_ACTIONS = (
    ViewerAction("undo", "&Undo", "Ctrl+Z", undo),
    ViewerAction("redo", "&Redo", "Ctrl+Shift+Z", redo),
    ViewerAction("rename", "&Name…", "F2", rename, True),
    ViewerAction("merge", "&Merge into…", "M", merge, True),
    ViewerAction("swap", "S&wap from this frame on…", "W", swap, True),
    ViewerAction("swap-up-to", "Swap from this frame &up to…", "Shift+W", swap_up_to, True),
    ViewerAction("split", "&Split at this frame", "X", split, True),
    ViewerAction("delete-detection", "&Delete in this frame", "Del", delete_detection, True),
    ViewerAction("delete-frames", "Delete in &frames…", "Ctrl+Del", delete_frames, True),
    ViewerAction("delete-identity", "Delete &identity", "Shift+Del", delete_identity, True),
    ViewerAction("hide-keypoint", "Mark keypoint &not visible", "H", hide_keypoint),
    ViewerAction("promote", "&Promote to identity", "P", promote),
    ViewerAction("revert", "Re&vert all edits…", None, revert_all),
)

VIEW_ACTIONS = (
    ViewerAction("toggle-filtered", "Show &filtered results", "F", toggle_filtered),
    ViewerAction("toggle-rejected", "Show &rejected detections", "R", toggle_rejected),
)

_LOOK_KEYS = {"people": ("PgDown", "PgUp"), "bounds": ("B", "Shift+B"),
              "overlaps": ("O", "Shift+O"), "jumps": ("J", "Shift+J"),
              "confidence": ("L", "Shift+L")}

LOOK_ACTIONS = tuple(
    ViewerAction(f"{kind}-{'next' if step > 0 else 'previous'}",
                 f"{'Next' if step > 0 else 'Previous'}: {LOOKS[kind][0]}",
                 _LOOK_KEYS[kind][0 if step > 0 else 1], look(kind, step))
    for kind in LOOKS for step in (1, -1))
