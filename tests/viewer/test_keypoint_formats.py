"""Every keypoint format the core defines is drawn, hovered, plotted and exported."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from ambientpose_desktop.core.keypoints import FORMATS
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import FramePoses, Person
from ambientpose_desktop.core.results import write_alphapose
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import POSE_TABLE
from ambientpose_desktop.pipeline.export import export_task
from ambientpose_desktop.pipeline.video import probe


def _task(folder, video, fmt) -> None:
    """A task folder as the worker writes it, with two people in ``fmt`` on every frame."""
    info = probe(video)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(info.frame_count):
        people = []
        for track in (1, 2):
            xy = rng.uniform(50, 400, (fmt.num_keypoints, 2)) + track * 300
            kp = np.hstack([xy, np.full((fmt.num_keypoints, 1), 0.9)])
            people.append(Person(kp, (50.0 + track * 300, 50.0, 350.0, 350.0), 0.9, track))
        frames.append(FramePoses(i, i / info.fps, people))
    info.timestamps = [f.timestamp for f in frames]
    folder.mkdir()
    write_alphapose(folder / "pose.json", frames)
    PoseTable.from_frames(frames, fmt.num_keypoints).save(folder / POSE_TABLE)
    Summary(source=info, keypoint_format=fmt.name, backend="test", device="cpu", params={},
            frames_processed=len(frames), persons=2 * len(frames), tracks=2,
            timings={}).write(folder / "summary.json")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_is_drawn_hovered_plotted_exported(name, qtbot, media, tmp_path):
    from ambientpose_desktop.gui.viewer import ViewerWindow

    fmt = FORMATS[name]
    task = tmp_path / "task"
    _task(task, media("videos/mmpose_demo.mp4"), fmt)
    window = ViewerWindow(task, synchronous=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.state.seek(3)
    window.canvas.grab()  # renders now, whatever the window system does with expose events
    counts = window.canvas.last_counts
    assert counts.people == 2
    assert counts.keypoints == 2 * fmt.num_keypoints
    assert counts.edges == 2 * len(fmt.skeleton)
    person = window.canvas.persons[1]
    last = fmt.num_keypoints - 1
    x, y = (float(v) for v in person.keypoints[last, :2])
    assert window.canvas.hover_text(window.canvas.to_widget(x, y)).startswith(
        f"{fmt.names[last]} · track 2")
    assert window.plots.keypoint_box.count() == fmt.num_keypoints
    window.close()
    out = export_task(task, "csv", tmp_path / "p.csv")
    with open(out, newline="") as fh:
        header = next(csv.reader(fh))
    assert len(header) == 4 + 3 * fmt.num_keypoints and header[-1] == f"{fmt.names[-1]}_score"
