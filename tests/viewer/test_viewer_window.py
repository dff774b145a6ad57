"""The viewer on a real processed video: exact frames, keys, toggles, threshold, hover, plots."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from ambientpose_desktop.gui.viewer.timeline import timecode
from tests.viewer.driving import linked_of


def _bits_digest(image) -> str:
    return hashlib.sha1(bytes(image.constBits())[: image.sizeInBytes()]).hexdigest()


def test_seek_shows_exactly_the_frame_asked_for(viewer):
    """Frames come at the size the canvas shows them: each is the frame decoded from the
    start, scaled to that size (so painting copies it 1:1)."""
    import av

    from ambientpose_desktop.pipeline.frame_reader import SCALING

    width, height = viewer.canvas.display_size()
    assert width < 1280 and height < 720  # smaller than the video: scaled by the loader
    video = viewer.task.video
    with av.open(str(video)) as container:
        expected = [hashlib.sha1(f.to_ndarray(format="bgra", width=width, height=height,
                                              interpolation=SCALING).tobytes()).hexdigest()
                    for f in container.decode(video=0)]
    assert viewer.state.frame_count == len(expected) == 205
    for i in random.Random(11).sample(range(len(expected)), 30):
        viewer.state.seek(i)
        assert viewer.canvas.image_index == i
        assert (viewer.canvas.image.width(), viewer.canvas.image.height()) == (width, height)
        assert _bits_digest(viewer.canvas.image) == expected[i], f"frame {i}"
        assert viewer.timeline.slider.value() == i


def test_a_click_on_the_slider_goes_to_that_frame(viewer, qtbot):
    """Clicking beside the handle jumps to the frame under the pointer (Qt's own slider only
    steps ten frames towards it), both ways."""
    from PySide6.QtCore import QPoint

    slider, last = viewer.timeline.slider, viewer.state.frame_count - 1
    for fraction in (0.75, 0.25):
        qtbot.mouseClick(slider, Qt.MouseButton.LeftButton,
                         pos=QPoint(round(slider.width() * fraction), slider.height() // 2))
        assert abs(viewer.state.frame - fraction * last) <= 0.03 * last, fraction
        assert slider.value() == viewer.state.frame


def test_frames_follow_the_canvas_size(viewer, qtbot):
    """A resized window has the frame shown delivered again at the canvas' new size, and
    the next ones at it too."""
    from tests.viewer.driving import key

    before = viewer.canvas.display_size()
    viewer.resize(1000, 700)
    qtbot.waitUntil(lambda: viewer.canvas.display_size() != before)
    size = viewer.canvas.display_size()
    assert viewer.canvas.image_index == 0
    assert (viewer.canvas.image.width(), viewer.canvas.image.height()) == size
    assert key(viewer, Qt.Key.Key_Right) == 1 and viewer.canvas.image_index == 1
    assert (viewer.canvas.image.width(), viewer.canvas.image.height()) == size


def test_keys_move_as_specified(viewer, qtbot):
    def press(key, modifier=Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(viewer, key, modifier)
        return viewer.state.frame

    assert press(Qt.Key.Key_Right) == 1
    assert press(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier) == 11
    assert press(Qt.Key.Key_Left) == 10
    assert press(Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier) == 0
    assert press(Qt.Key.Key_Left) == 0  # clamped
    assert press(Qt.Key.Key_End) == 204
    assert viewer.canvas.image_index == 204
    assert press(Qt.Key.Key_Home) == 0
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert viewer.playing
    qtbot.waitUntil(lambda: viewer.state.frame > 5, timeout=5000)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert not viewer.playing
    assert viewer.timeline.time_label.text().startswith(
        timecode(viewer.task.summary.source.timestamps[viewer.state.frame]))


def _changes(table, hidden=frozenset()) -> list[int]:
    """Frames whose set of visible tracks differs from the frame before: brute force."""
    def seen(i):
        if not 0 <= i < table.num_frames:
            return set()
        return {int(t) for t in table.idx[table.rows(i)]} - set(hidden)

    return [i for i in range(1, 205) if seen(i) != seen(i - 1)]


def test_jump_to_change_in_visible_people(viewer, qtbot):
    changes = _changes(linked_of(viewer))
    assert 60 in changes and len(changes) >= 3  # people come and go; nobody after frame 59
    visited = []
    while viewer.state.frame < 204:
        qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
        visited.append(viewer.state.frame)
    assert visited == changes + [204]
    qtbot.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.state.frame == changes[-1]
    gap = next(c for c in changes if c + 1 not in changes)  # a change followed by a calm frame
    viewer.state.seek(gap + 1)
    qtbot.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.state.frame == gap
    qtbot.keyClick(viewer, Qt.Key.Key_PageUp)
    earlier = [c for c in changes if c < gap]
    assert viewer.state.frame == (earlier[-1] if earlier else 0)


def _expected_counts(window, frame):
    """What should be drawn at ``frame`` with the window's options, from the results."""
    options, fmt = window.state.options, window.task.fmt
    people = [p for p in linked_of(window).persons(frame) if p.idx not in options.hidden]
    ok = [p.keypoints[:, 2] >= options.threshold for p in people]
    return {
        "people": len(people), "boxes": len(people),
        "labels": sum(p.idx >= 0 for p in people),
        "keypoints": int(sum(k.sum() for k in ok)),
        "edges": sum(int(k[a] and k[b]) for k in ok for a, b in fmt.skeleton),
    }


def _drawn(window):
    window.canvas.grab()  # renders now
    c = window.canvas.last_counts
    return {"people": c.people, "boxes": c.boxes, "labels": c.labels,
            "keypoints": c.keypoints, "edges": c.edges}


def test_toggles_threshold_and_people_change_what_is_drawn(viewer):
    table = linked_of(viewer)
    frame = max(range(table.num_frames), key=table.count)  # the busiest frame
    viewer.state.seek(frame)
    full = _drawn(viewer)
    assert full == _expected_counts(viewer, frame) and full["people"] >= 3
    controls = viewer.controls
    for key, field in (("boxes", "boxes"), ("labels", "labels"), ("skeleton", "edges"),
                       ("keypoints", "keypoints")):
        controls.toggles[key].setChecked(False)
        drawn = _drawn(viewer)
        assert drawn[field] == 0, key
        assert drawn == {**full, field: 0}
        controls.toggles[key].setChecked(True)
    controls.threshold.setValue(70)
    strict = _drawn(viewer)
    assert strict == _expected_counts(viewer, frame)
    assert strict["keypoints"] < full["keypoints"] and strict["edges"] < full["edges"]
    controls.threshold.setValue(30)
    item = controls.people.item(0)
    hidden = int(item.data(Qt.ItemDataRole.UserRole))
    frame = next(i for i in range(table.num_frames) if hidden in table.idx[table.rows(i)])
    viewer.state.seek(frame)
    before = _drawn(viewer)["people"]
    item.setCheckState(Qt.CheckState.Unchecked)
    assert viewer.state.options.hidden == {hidden}
    assert _drawn(viewer)["people"] == before - 1
    assert not any(c.isVisible() for c in viewer.plots.curves["confidence"] if c.track == hidden)


def test_hover_names_the_keypoint(viewer):
    table = linked_of(viewer)
    viewer.state.seek(10)
    person = max(viewer.canvas.persons, key=lambda p: p.box[2] * p.box[3])  # the nearest one
    k = int(person.keypoints[:, 2].argmax())
    x, y, score = (float(v) for v in person.keypoints[k])
    text = viewer.canvas.hover_text(viewer.canvas.to_widget(x, y))
    assert text.startswith(f"{viewer.task.fmt.names[k]} · track {person.idx}")
    assert f"x {x:.1f}" in text and f"score {score:.2f}" in text
    assert viewer.canvas.hover_text(QPointF(1, 1)) == ""
    assert table.count(10) == len(viewer.canvas.persons)


def test_plots_follow_and_seek(viewer, qtbot):
    viewer.state.seek(42)
    assert all(line.value() == 42 for line in viewer.plots.markers)
    plot = viewer.plots.confidence
    box = plot.getViewBox()
    scene_point = box.mapViewToScene(QPointF(17, 0.5))
    assert viewer.plots.frame_at(plot, scene_point) == 17
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=plot.mapFromScene(scene_point))
    qtbot.waitUntil(lambda: viewer.state.frame == 17, timeout=2000)
    assert viewer.canvas.image_index == 17
    viewer.plots.keypoint_box.setCurrentIndex(9)  # left_wrist
    table = linked_of(viewer)
    curve = viewer.plots.curves["positions"][0]  # x of the first track
    frames, xs = curve.getData()
    for frame, x in zip(frames.astype(int), xs, strict=True):
        people = list(table.idx[table.rows(frame)])
        if curve.track in people:
            row = table.rows(frame).start + people.index(curve.track)
            assert x == pytest.approx(table.keypoints[row, 9, 0])
        else:
            assert np.isnan(x)  # a gap in the track: the line breaks


def test_far_seek_shows_proxy_then_exact_frame(qtbot, processed_task):
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.gui.viewer.frame_loader import FAR_SEEK_FRAMES, FrameLoader

    video = Summary.read(processed_task / "summary.json").source.path
    loader = FrameLoader(video, processed_task)  # the task folder holds the scrub proxy
    try:
        assert loader.proxy is not None
        target = next(i for i in range(59, 0, -1) if loader.reader.cost(i) > FAR_SEEK_FRAMES)
        seen = []
        loader.frameReady.connect(lambda i, image, exact: seen.append((i, image.width(), exact)))
        loader.request(target)
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=20000)
        assert seen == [(target, 640, False), (target, 1280, True)]
        seen.clear()
        loader.request(target + 1)  # one step on: exact at once, no preview
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=20000)
        assert seen == [(target + 1, 1280, True)]
    finally:
        loader.close()


def test_near_seeks_show_the_proxy_first_only_where_they_prove_slow(processed_task):
    """A seek a few frames past a keyframe goes straight to the exact frame where such
    decodes have been quick, and shows the proxy first where they took longer than
    PREVIEW_ABOVE_S (1080p on a slow machine) or before any was timed; a far seek always
    shows it, a step never."""
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.gui.viewer.frame_loader import (
        FAR_SEEK_FRAMES,
        PREVIEW_ABOVE_S,
        FrameLoader,
        SeekTimer,
    )

    video = Summary.read(processed_task / "summary.json").source.path
    loader = FrameLoader(video, processed_task, synchronous=True)
    try:
        near = next(i for i in range(len(loader)) if loader.reader.cost(i) == 3)
        far = next(i for i in range(len(loader)) if loader.reader.cost(i) > FAR_SEEK_FRAMES)
        gop = loader.reader.index.longest_gop
        assert loader.preview(near) is not None  # nothing timed yet
        fast, slow = SeekTimer(gop), SeekTimer(gop)
        for _ in range(3):
            fast.add(3, PREVIEW_ABOVE_S / 3)
            slow.add(3, PREVIEW_ABOVE_S * 2)
        loader.seeks = fast
        assert loader.preview(near) is None and loader.preview(far) is not None
        loader.seeks = slow
        assert loader.preview(near) is not None
        loader.reader.frame(near - 1)  # the decoder stands just before: a step
        assert loader.reader.cost(near) == 1 and loader.preview(near) is None
    finally:
        loader.close()


def test_playback_keeps_to_the_clock(viewer, qtbot):
    """The frame shown is the one due by the clock, however slowly this machine decodes:
    a clock the test moves makes it independent of load."""
    fps = viewer.task.summary.source.fps  # 50
    now = [100.0]
    viewer.clock = lambda: now[0]
    shown = []
    viewer.loader.frameReady.connect(lambda i, image, exact: shown.append(i))
    viewer.toggle_play()
    for seconds in (0.2, 0.5, 0.9):
        now[0] = 100.0 + seconds
        due = round(seconds * fps)
        qtbot.waitUntil(lambda due=due: viewer.state.frame == due, timeout=10_000)
    viewer.toggle_play()
    assert not viewer.playing and viewer.state.frame == round(0.9 * fps)
    qtbot.waitUntil(lambda: shown and shown[-1] == viewer.state.frame, timeout=10_000)
    assert shown == sorted(shown)  # in order, ending where it stopped


def test_show_viewer_opens_or_says_why_not(qtbot, processed_task, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ambientpose_desktop.gui.viewer import show_viewer

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    assert show_viewer(tmp_path) is None
    assert said == [f"{tmp_path} has no results to show (summary.json is missing)"]
    window = show_viewer(processed_task)
    qtbot.addWidget(window)
    assert window.isVisible() and window.state.frame_count == 205  # qtbot closes it


_OPEN_AND_WAIT = """
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ambientpose_desktop.gui.viewer import ViewerWindow, canvas, window as viewer

seen = []
show_frame, warm_up = canvas.FrameCanvas.show_frame, viewer.warm_up


def shown(self, *args):
    seen.append(("frame", "numpy.ma" in sys.modules))
    show_frame(self, *args)


def warmed():
    warm_up()
    seen.append(("warm-up", "numpy.ma" in sys.modules))


canvas.FrameCanvas.show_frame, viewer.warm_up = shown, warmed
app = QApplication([])
window = ViewerWindow(Path(sys.argv[1]))
window.plots.filledIn.connect(lambda: seen.append(("filled", window.plots.filled)))
window.show()
until = time.monotonic() + 20
while (not seen or seen[-1][0] != "warm-up") and time.monotonic() < until:
    app.processEvents()
print(seen)
"""


def test_the_first_edits_one_time_cost_is_paid_once_the_plots_fill_in(processed_task):
    """NumPy imports numpy.ma on the first plain np.unique, which every first edit made
    (30 ms): a viewer opened as the app opens it imports it once its plots have filled in,
    not before its first frame. In a fresh process: this one imported it long ago."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _OPEN_AND_WAIT, str(processed_task)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str([("frame", False), ("filled", True), ("warm-up", True)])
