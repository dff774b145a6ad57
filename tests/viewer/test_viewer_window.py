"""The viewer on a real processed video: exact frames, keys, toggles, threshold, hover, plots."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from ambientpose_desktop.gui.viewer import ViewerWindow
from ambientpose_desktop.gui.viewer.timeline import timecode


def _qimage_digest(image) -> str:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return hashlib.sha1(np.ascontiguousarray(data[:, : width * 3]).tobytes()).hexdigest()


@pytest.fixture
def viewer(qtbot, processed_task):
    window = ViewerWindow(processed_task, synchronous=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def test_seek_shows_exactly_the_frame_asked_for(viewer):
    import av

    video = viewer.task.video
    with av.open(str(video)) as container:
        expected = [hashlib.sha1(f.to_ndarray(format="rgb24").tobytes()).hexdigest()
                    for f in container.decode(video=0)]
    assert viewer.state.frame_count == len(expected) == 205
    for i in random.Random(11).sample(range(len(expected)), 30):
        viewer.state.seek(i)
        assert viewer.canvas.image_index == i
        assert _qimage_digest(viewer.canvas.image) == expected[i], f"frame {i}"
        assert viewer.timeline.slider.value() == i


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


def test_jump_to_change_in_visible_people(viewer, qtbot):
    table = viewer.task.table
    # the fake backend's two people are tracked; past frame 60 nobody was processed
    assert table.num_frames == 60 and table.count(59) > 0
    qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
    assert viewer.state.frame == 60  # first frame without people
    qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
    assert viewer.state.frame == 204  # no further change: the last frame
    qtbot.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.state.frame == 60
    viewer.state.seek(30)
    qtbot.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.state.frame == 0


def test_toggles_threshold_and_people_change_what_is_drawn(viewer, qtbot):
    viewer.state.seek(20)
    viewer.canvas.repaint()
    full = viewer.canvas.last_counts
    assert (full.people, full.boxes, full.labels) == (2, 2, 2)
    assert full.keypoints == 34 and full.edges == 38
    controls = viewer.controls
    for key, field in (("boxes", "boxes"), ("labels", "labels"), ("skeleton", "edges"),
                       ("keypoints", "keypoints")):
        controls.toggles[key].setChecked(False)
        viewer.canvas.repaint()
        assert getattr(viewer.canvas.last_counts, field) == 0, key
        controls.toggles[key].setChecked(True)
    controls.threshold.setValue(85)  # the fake people score 0.9 and 0.8
    viewer.canvas.repaint()
    assert viewer.canvas.last_counts.keypoints == 17 and viewer.canvas.last_counts.edges == 19
    controls.threshold.setValue(0)
    item = controls.people.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    viewer.canvas.repaint()
    assert viewer.canvas.last_counts.people == 1
    hidden = int(item.data(Qt.ItemDataRole.UserRole))
    assert viewer.state.options.hidden == {hidden}
    assert not any(c.isVisible() for c in viewer.plots.curves["confidence"] if c.track == hidden)


def test_hover_names_the_keypoint(viewer):
    viewer.state.seek(10)
    person = viewer.canvas.persons[0]
    x, y, score = person.keypoints[9]
    text = viewer.canvas.hover_text(viewer.canvas.to_widget(float(x), float(y)))
    assert text.startswith(f"left_wrist · track {person.idx}")
    assert f"x {x:.1f}" in text and f"score {score:.2f}" in text
    assert viewer.canvas.hover_text(QPointF(1, 1)) == ""


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
    xs = viewer.plots.curves["positions"][0].getData()[1]
    table = viewer.task.table
    assert xs[5] == pytest.approx(table.keypoints[table.rows(5)][0, 9, 0])


def test_far_seek_shows_proxy_then_exact_frame(qtbot, processed_task):
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.gui.viewer.frame_loader import PROXY_ABOVE_FRAMES, FrameLoader

    video = Summary.read(processed_task / "summary.json").source.path
    loader = FrameLoader(video, processed_task)  # the task folder holds the scrub proxy
    try:
        assert loader.proxy is not None
        target = next(i for i in range(59, 0, -1) if loader.reader.cost(i) > PROXY_ABOVE_FRAMES)
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
