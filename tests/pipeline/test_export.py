"""Every export format, validated by what reads it: pycocotools, csv, PyAV; CLI and cancel."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading

import pytest

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import ExportCanceled, csv_header, export_task
from tests.pipeline.worker_helpers import worker_env


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "export", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=worker_env())


def test_alphapose_json_round_trips(processed_task, tmp_path):
    out = export_task(processed_task, "alphapose", tmp_path / "a.json")
    assert json.loads(out.read_text()) == json.loads((processed_task / "pose.json").read_text())


def test_coco_results_load_in_pycocotools(processed_task, tmp_path):
    from pycocotools.coco import COCO

    summary = Summary.read(processed_task / "summary.json")
    out = export_task(processed_task, "coco", tmp_path / "coco.json")
    gt = COCO()
    gt.dataset = {
        "images": [{"id": i, "width": summary.source.width, "height": summary.source.height}
                   for i in range(summary.frames_processed)],
        "annotations": [], "categories": [{"id": 1, "name": "person",
                                           "keypoints": list(COCO_17.names)}],
    }
    gt.createIndex()
    dt = gt.loadRes(str(out))
    assert len(dt.getAnnIds()) == summary.persons
    assert all(len(a["keypoints"]) == 51 for a in dt.loadAnns(dt.getAnnIds()))


def test_csv_has_one_row_per_person(processed_task, tmp_path):
    summary = Summary.read(processed_task / "summary.json")
    out = export_task(processed_task, "csv", tmp_path / "p.csv")
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == csv_header(COCO_17.names)
    assert len(rows) - 1 == summary.persons
    first = rows[1]
    assert int(first[0]) == 0 and float(first[1]) == 0.0 and len(first) == 4 + 17 * 3


def test_overlay_video_matches_source_count_and_fps(processed_task, tmp_path):
    import av

    summary = Summary.read(processed_task / "summary.json")
    out = export_task(processed_task, "overlay-video", tmp_path / "o.mp4")
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        assert abs(float(stream.average_rate) - summary.source.fps) < 0.01
    with av.open(summary.source.path) as source:
        assert count == sum(1 for _ in source.decode(video=0)) == 205


def test_frames_jpeg_folders(processed_task, tmp_path):
    out = export_task(processed_task, "frames-jpeg", tmp_path / "jpegs")
    assert sorted(p.name for p in out.iterdir()) == ["frames_openpose_video",
                                                       "overlay_openpose_video"]
    assert len(list((out / "overlay_openpose_video").glob("*.jpg"))) == 205


def test_cancel_leaves_nothing(processed_task, tmp_path):
    cancel = threading.Event()

    def progress(done, total):
        if done >= 3:
            cancel.set()

    with pytest.raises(ExportCanceled):
        export_task(processed_task, "overlay-video", tmp_path / "o.mp4", progress=progress,
                    cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_cli_by_task_folder_and_id_and_refuses_overwrite(processed_task, tmp_path, store):
    out = tmp_path / "p.csv"
    proc = _cli(processed_task, "--format", "csv", "--output", out)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
    again = _cli(processed_task, "--format", "csv", "--output", out)
    assert again.returncode == 2 and "already exists (use --overwrite" in again.stderr
    assert "Traceback" not in again.stderr
    repo, _ = store
    task = repo.create(summary_source(processed_task))
    repo.set_worker(task.id, None, output_dir=str(processed_task))
    by_id = _cli(task.id, "--output", tmp_path / "a.json")
    assert by_id.returncode == 0, by_id.stderr
    missing = _cli("0123abcd", "--output", tmp_path / "b.json")
    assert missing.returncode == 2 and "no task" in missing.stderr


def summary_source(task_dir) -> str:
    return Summary.read(task_dir / "summary.json").source.path
