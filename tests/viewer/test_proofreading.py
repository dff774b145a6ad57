"""Proofreading in the viewer, driven as a user does: clicks on the video, the lanes and the
list, keys sent to the window, a keypoint dragged with the mouse. Each edit is undone and
redone; the task reopens as it was left, the results stay byte for byte, exports carry the
edits, and ``ambientpose tracks`` sees the same edits the viewer made (and the other way).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsItem

from ambientpose_desktop.cli import main as cli
from ambientpose_desktop.core import edits
from ambientpose_desktop.core.layers import Layer, load_layer, open_edits
from ambientpose_desktop.core.pose_series import keypoint_xy, mean_confidence
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import export_task
from tests.conftest import folder_digest
from tests.core.edit_reference import replay, same, to_frames
from tests.synthetic import make_results, make_video
from tests.viewer.driving import key, linked_of, open_viewer

NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier




@pytest.fixture
def viewer(qtbot, task_copy):
    return open_viewer(qtbot, task_copy)


def go_to(window, frame: int) -> None:
    """Home, then → until ``frame`` (Shift+→ by tens), as a user steps."""
    key(window, Qt.Key.Key_Home)
    while window.state.frame + 10 <= frame:
        key(window, Qt.Key.Key_Right, SHIFT)
    while window.state.frame < frame:
        key(window, Qt.Key.Key_Right)


def person_point(window, identity: int) -> QPoint:
    """Where ``identity``'s surest keypoint is drawn in the canvas, this frame."""
    person = next(p for p in window.canvas.persons if p.idx == identity)
    k = int(person.keypoints[:, 2].argmax())
    return window.canvas.to_widget(*person.keypoints[k, :2]).toPoint()


def click_person(window, identity: int, modifier=NO) -> None:
    QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, modifier,
                     person_point(window, identity))


def click_lane(window, identity: int, frame: int, modifier=NO) -> None:
    QTest.mouseClick(window.lanes, Qt.MouseButton.LeftButton, modifier,
                     window.lanes.lane_centre(identity, frame).toPoint())


def swap_here(window, frame: int) -> tuple[int, int]:
    """At ``frame``, click one person, Shift+click another, press W; the two ids."""
    go_to(window, frame)
    a, b = [p.idx for p in window.canvas.persons if p.idx > 0][:2]
    click_person(window, a)
    click_person(window, b, SHIFT)
    key(window, Qt.Key.Key_W)
    return a, b


def packed(window):
    return window.history.table.to_table()


def undo_redo(window, after) -> None:
    """Ctrl+Z gives the results of before the edit back exactly, Ctrl+Shift+Z the edit."""
    edited = packed(window)
    key(window, Qt.Key.Key_Z, CTRL)
    assert same(packed(window), after)
    key(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert same(packed(window), to_frames(edited))


def spans(table) -> dict[int, set[int]]:
    frame_of = table.frame_of_row()
    return {int(i): set(frame_of[table.idx == i].tolist()) for i in np.unique(table.idx)}


def test_select_by_clicking_a_skeleton_a_lane_or_the_list(viewer):
    go_to(viewer, 12)
    shown = [p.idx for p in viewer.canvas.persons if p.idx >= 0]
    for identity in shown[:3]:
        click_person(viewer, identity)
        assert viewer.state.selection.identity == identity
        assert viewer.controls.people.currentItem().data(Qt.ItemDataRole.UserRole) == identity
    click_person(viewer, shown[0], SHIFT)
    assert viewer.state.selection.other == shown[0]
    QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, NO, QPoint(2, 2))
    assert viewer.state.selection.identity is None  # empty space: nobody
    click_lane(viewer, shown[1], 40)
    assert viewer.state.selection.identity == shown[1] and viewer.state.frame == 40
    stats = viewer.history.table.stats(shown[1])
    assert viewer.lanes.hover_text(viewer.lanes.lane_centre(shown[1], 3)) == (
        f"#{shown[1]}\nframes {stats.first}–{stats.last} · {stats.detections} detections · "
        f"mean score {stats.mean_score:.2f}")
    item = viewer.controls.item_of(shown[2])
    QTest.mouseClick(viewer.controls.people.viewport(), Qt.MouseButton.LeftButton, NO,
                     viewer.controls.people.visualItemRect(item).center())
    assert viewer.state.selection.identity == shown[2]
    assert viewer.canvas.selection.identity == shown[2]  # drawn with a white frame
    assert viewer.state.frame == 40  # the list selects; it does not seek


def test_merge_swap_split_delete_each_undone_and_redone(viewer, task_copy):
    linked = linked_of(viewer)
    before = folder_digest(task_copy)
    frames = spans(linked)
    source, into = next((s, t) for s in sorted(frames, key=lambda i: -max(frames[i]))
                        for t in frames if s != t and s > 0 and t > 0
                        and not frames[s] & frames[t])
    done: list[edits.Operation] = []

    def check(op):
        done.append(op)
        assert viewer.history.session.ops == done
        assert same(packed(viewer), replay(to_frames(linked), done))
        undo_redo(viewer, replay(to_frames(linked), done[:-1]))
        assert viewer.history.session.ops == done

    # merge: select B on its lane, Shift+click A's lane, M
    click_lane(viewer, source, min(frames[source]))
    click_lane(viewer, into, min(frames[into]), SHIFT)
    key(viewer, Qt.Key.Key_M)
    assert source not in viewer.lanes.identities and viewer.state.selection.identity == into
    check(edits.Merge(source, into))
    # swap from frame 20: click A and Shift+click B on the video, W
    check(edits.Swap(*swap_here(viewer, 20), 20))
    # split at frame 30: select, X; the new identity is selected
    go_to(viewer, 30)
    c = next(p.idx for p in viewer.canvas.persons
             if p.idx > 0 and min(spans(packed(viewer))[p.idx]) < 30)
    click_person(viewer, c)
    new = viewer.history.table.next_identity()
    key(viewer, Qt.Key.Key_X)
    assert viewer.state.selection.identity == new and new in viewer.lanes.identities
    check(edits.Split(c, 30, new))
    # delete the detection in this frame (Del), then a whole identity (Shift+Del)
    shown = len(viewer.canvas.persons)
    key(viewer, Qt.Key.Key_Delete)
    assert len(viewer.canvas.persons) == shown - 1
    check(edits.DeleteDetection(30, new))
    d = next(p.idx for p in viewer.canvas.persons if p.idx > 0)
    click_person(viewer, d)
    key(viewer, Qt.Key.Key_Delete, SHIFT)
    assert d not in viewer.lanes.identities and d not in [
        viewer.controls.people.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(viewer.controls.people.count())]
    check(edits.DeleteIdentity(d))
    # the history shows every edit; the results themselves were never written
    assert viewer.history.stack.count() == len(done)
    assert folder_digest(task_copy, leave_out=("edits.json",)) == before
    assert [o["op"] for o in json.loads((task_copy / "edits.json").read_text())["ops"]] == [
        "merge", "swap", "split", "delete-detection", "delete-identity"]


def drawn_curves(window) -> dict[tuple[str, int, bool], tuple[np.ndarray, np.ndarray]]:
    """The plots' curves, (plot, identity, dashed): the frames and values where each is drawn."""
    window.plots.positions.repaint()  # paints, and so fits the range, now
    out = {}
    for name, curve in window.plots._items.items():
        frames, values = curve.getOriginalDataset()
        drawn = np.isfinite(values)
        out[name] = (frames[drawn], values[drawn])
    return out


def series(table, keypoint: int = 0) -> dict[tuple[str, int, bool], tuple[np.ndarray, ...]]:
    """What the plots should draw for ``table``: each identity's confidence, x and y."""
    out = {}
    for identity in table.identities():
        out["confidence", identity, False] = mean_confidence(table, identity)
        frames, xs, ys = keypoint_xy(table, identity, keypoint)
        out["positions", identity, False] = frames, xs
        out["positions", identity, True] = frames, ys
    return out


def assert_same_curves(drawn, expected) -> None:
    assert drawn.keys() == expected.keys()
    for name, (frames, values) in expected.items():
        np.testing.assert_array_equal(drawn[name][0], frames, err_msg=str(name))
        np.testing.assert_allclose(drawn[name][1], values, rtol=1e-6, err_msg=str(name))


def test_plots_follow_a_merge_and_its_undo_fitting_the_range_once(qtbot, tmp_path):
    """After a merge the plots draw exactly the edited results' identities and series, and
    Ctrl+Z gives back the curves of before. The merged-away identity holds the top of the
    positions plot: its range is fitted once, after the merged curve has its points, so it
    does not change (each change makes every curve be drawn again); deleting that identity
    does narrow it, and the axes, painted from a cache, follow that and a resize."""
    fragments = 3  # synthetic person p is identities 1 + p*3 ...: never in the same frame
    video = make_video(tmp_path / "video.mp4", 300, width=128, height=72, preset="ultrafast")
    task = make_results(tmp_path / "task", video, 300, people=3, fragments=fragments,
                        width=128, height=72)
    viewer = open_viewer(qtbot, task)
    before = drawn_curves(viewer)
    assert_same_curves(before, series(viewer.history.table))
    top = max((k for k in before if k[0] == "positions"), key=lambda k: before[k][1].max())[1]
    first = 1 + (top - 1) // fragments * fragments
    into = next(i for i in range(first, first + fragments) if i != top)
    box = viewer.plots.positions.getViewBox()
    fitted = box.viewRange()
    changes = []
    box.sigRangeChanged.connect(lambda *_: changes.append(box.viewRange()))
    table = viewer.history.table
    click_lane(viewer, top, table.stats(top).first)
    click_lane(viewer, into, table.stats(into).first, SHIFT)
    key(viewer, Qt.Key.Key_M)
    assert viewer.history.session.ops == [edits.Merge(top, into)]
    assert_same_curves(drawn_curves(viewer), series(viewer.history.table))
    assert top not in {k[1] for k in viewer.plots._items}
    key(viewer, Qt.Key.Key_Z, CTRL)
    assert_same_curves(drawn_curves(viewer), before)
    assert changes == [] and box.viewRange() == fitted
    click_lane(viewer, top, table.stats(top).first)
    key(viewer, Qt.Key.Key_Delete, SHIFT)
    assert viewer.history.session.ops == [edits.DeleteIdentity(top)]
    assert_same_curves(drawn_curves(viewer), series(viewer.history.table))
    assert box.viewRange()[1][1] < fitted[1][1]
    shown = viewer.plots.positions.grab().toImage()
    assert_axes_drawn_afresh(viewer.plots.positions)
    viewer.resize(viewer.width() - 200, viewer.height() - 100)
    qtbot.waitUntil(lambda: viewer.plots.positions.grab().toImage() != shown, timeout=2000)
    assert_axes_drawn_afresh(viewer.plots.positions)


def assert_axes_drawn_afresh(plot) -> None:
    """The axes (and the grid they draw) painted from their cache look as drawn afresh."""
    cached = plot.grab().toImage()
    for side in ("left", "bottom"):
        plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.NoCache)
    assert plot.grab().toImage() == cached
    for side in ("left", "bottom"):
        plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def test_drag_a_keypoint_and_hide_one(viewer, qtbot):
    go_to(viewer, 8)
    person = max((p for p in viewer.canvas.persons if p.idx > 0),
                 key=lambda p: p.box[2] * p.box[3])
    k = int(person.keypoints[:, 2].argmax())
    start = person_point(viewer, person.idx)
    end = start + QPoint(40, 25)
    canvas = viewer.canvas
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, NO, start)
    for step in range(1, 6):
        QTest.mouseMove(canvas, start + (end - start) * step / 5)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, NO, end)
    [op] = viewer.history.session.ops
    target = canvas.to_image(end.toPointF())
    assert op == edits.MoveKeypoint(8, person.idx, k, pytest.approx(target.x()),
                                    pytest.approx(target.y()))
    moved = next(p for p in canvas.persons if p.idx == person.idx)
    assert moved.keypoints[k, :2] == pytest.approx([target.x(), target.y()], abs=1e-3)
    assert viewer.state.selection.identity == person.idx
    undo_redo(viewer, to_frames(linked_of(viewer)))
    QTest.mouseMove(canvas, end)  # point at the moved keypoint, then H
    key(viewer, Qt.Key.Key_H)
    assert viewer.history.session.ops[-1] == edits.HideKeypoint(8, person.idx, k)
    assert next(p for p in canvas.persons if p.idx == person.idx).keypoints[k, 2] == 0


def test_the_context_menu_offers_the_same_edits(viewer, qtbot):
    go_to(viewer, 30)
    identity = next(p.idx for p in viewer.canvas.persons if p.idx > 0)
    point = viewer.canvas.mapTo(viewer, person_point(viewer, identity))
    # through the window, as the X server delivers it: Qt makes the context-menu event
    QTest.mouseClick(viewer.windowHandle(), Qt.MouseButton.RightButton, NO, point)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    menu = QApplication.activePopupWidget()
    assert menu.actions()[0].text() == viewer.history.table.label(identity)  # its section
    split = viewer.actions["split"]
    assert split in menu.actions() and viewer.actions["merge"] in menu.actions()
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, NO, menu.actionGeometry(split).center())
    assert viewer.history.session.ops == [edits.Split(identity, 30,
                                                      viewer.history.table.next_identity() - 1)]


def test_reopening_shows_the_edited_state(qtbot, viewer, task_copy):
    swap_here(viewer, 20)
    key(viewer, Qt.Key.Key_X)
    edited, ops = packed(viewer), viewer.history.session.ops
    labels = [viewer.controls.people.item(i).text() for i in range(viewer.controls.people.count())]
    viewer.close()
    again = open_viewer(qtbot, task_copy)
    assert same(packed(again), to_frames(edited)) and again.history.session.ops == ops
    assert again.history.stack.count() == 2 and again.history.stack.canUndo()
    assert [again.controls.people.item(i).text()
            for i in range(again.controls.people.count())] == labels
    go_to(again, 20)
    assert {p.idx for p in again.canvas.persons} == {int(i) for i in edited.idx[edited.rows(20)]}
    key(again, Qt.Key.Key_Z, CTRL)  # yesterday's edits can be taken back too
    assert again.history.session.ops == ops[:1]


def test_revert_all_and_undo_it(viewer, monkeypatch):
    linked = to_frames(linked_of(viewer))
    go_to(viewer, 20)
    click_person(viewer, next(p.idx for p in viewer.canvas.persons if p.idx > 0))
    key(viewer, Qt.Key.Key_X)
    edited = to_frames(packed(viewer))
    monkeypatch.setattr(viewer.context.ask, "confirm", lambda title, text: True)
    viewer.actions["revert"].trigger()
    assert same(packed(viewer), linked) and viewer.history.session.ops == []
    key(viewer, Qt.Key.Key_Z, CTRL)
    assert same(packed(viewer), edited)


def test_exports_after_viewer_edits_are_linked_plus_edits(viewer, task_copy, tmp_path):
    swap_here(viewer, 25)
    key(viewer, Qt.Key.Key_Delete)
    ops = viewer.history.session.ops
    summary = Summary.read(task_copy / "summary.json")
    reference = replay(to_frames(load_layer(task_copy, summary, Layer.LINKED)), ops)
    out = export_task(task_copy, "alphapose", tmp_path / "a.json")
    entries = json.loads(out.read_text())
    by_frame: dict[int, set[int]] = {}
    for e in entries:
        by_frame.setdefault(int(e["image_id"].split(".")[0]), set()).add(e["idx"])
    assert by_frame == {f: {d["idx"] for d in frame} for f, frame in enumerate(reference) if frame}
    assert same(load_layer(task_copy, summary), reference)


def test_tracks_and_viewer_make_the_same_edits(qtbot, task_copy, capsys):
    frames = spans(load_layer(task_copy, Summary.read(task_copy / "summary.json"), Layer.LINKED))
    source, into = next((s, t) for s in frames for t in frames
                        if 0 < s != t > 0 and not frames[s] & frames[t])
    assert cli(["tracks", str(task_copy), "--merge", str(source), str(into)]) == 0
    window = open_viewer(qtbot, task_copy)  # the command line's edit, seen in the viewer
    assert source not in window.lanes.identities
    assert window.history_view.model().rowCount() == 2  # "as tracked" and the merge
    go_to(window, 20)
    identity = next(p.idx for p in window.canvas.persons if p.idx > 0)
    click_person(window, identity)
    key(window, Qt.Key.Key_X)  # the viewer's edit, seen by the command line
    capsys.readouterr()
    assert cli(["tracks", str(task_copy)]) == 0
    listing = capsys.readouterr().out
    new = window.history.table.next_identity() - 1
    assert f"#{new}" in listing and f"#{source} " not in listing
    assert open_edits(task_copy, window.task.summary).ops == [
        edits.Merge(source, into), edits.Split(identity, 20, new)]
    # while the viewer is open, the command line takes the split back: the viewer notices
    assert cli(["tracks", str(task_copy), "--undo"]) == 0
    key(window, Qt.Key.Key_Z, CTRL)  # an undo of its own now would clash
    qtbot.waitUntil(lambda: "changed elsewhere" in window.statusBar().currentMessage())
    assert window.history.session.ops == [edits.Merge(source, into)]  # read again
    assert new not in window.lanes.identities


@pytest.mark.parametrize("kind, forward", [("bounds", Qt.Key.Key_B), ("overlaps", Qt.Key.Key_O),
                                           ("jumps", Qt.Key.Key_J),
                                           ("confidence", Qt.Key.Key_L)])
def test_where_to_look_keys_visit_each_frame_found(viewer, kind, forward):
    from ambientpose_desktop.gui.viewer.actions import LOOKS

    go_to(viewer, 20)  # a wrong swap makes both people jump here
    a, b = [p.idx for p in viewer.canvas.persons if p.idx > 0][:2]
    click_person(viewer, a)
    click_person(viewer, b, SHIFT)
    key(viewer, Qt.Key.Key_W)
    table = viewer.history.table
    viewer.controls.threshold.setValue(60)  # the minimum score is the confidence threshold
    if kind == "bounds":  # hidden people are not looked at
        ends = [f for i in table.identities() for f in (table.stats(i).first,
                                                        table.stats(i).last)]
        alone = next(i for i in table.identities() if ends.count(table.stats(i).first) == 1)
        viewer.controls.item_of(alone).setCheckState(Qt.CheckState.Unchecked)
        assert table.stats(alone).first not in LOOKS[kind][1](viewer.context)
    found = LOOKS[kind][1](viewer.context).tolist()
    assert found and found == sorted(found)
    if kind == "jumps":
        assert 20 in found
    key(viewer, Qt.Key.Key_Home)
    visited = []
    while True:
        frame = viewer.state.frame
        key(viewer, forward)
        if viewer.state.frame == frame:
            break
        visited.append(viewer.state.frame)
    assert visited == [f for f in found if f > 0]
    assert "No later frame" in viewer.statusBar().currentMessage()
    assert visited
    end = viewer.state.frame
    key(viewer, forward, SHIFT)
    earlier = [f for f in found if f < end]
    assert viewer.state.frame == (earlier[-1] if earlier else end)


def test_shortcuts_are_unique_and_in_the_readme(viewer):
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The results viewer"):]
    section = section[:section.index("\n## ", 3)]
    arrows = {"Left": "←", "Right": "→"}
    keys = [a.shortcut().toString() for a in viewer.findChildren(QAction)
            if not a.shortcut().isEmpty()]
    assert len(keys) == len(set(keys)), sorted(keys)
    for sequence in keys:
        for name, arrow in arrows.items():
            sequence = sequence.replace(name, arrow)
        assert f"`{sequence}`" in section, sequence
