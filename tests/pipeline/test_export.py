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


def test_csv_carries_the_json_numbers_read_by_pandas(processed_task, tmp_path):
    import pandas as pd

    out = export_task(processed_task, "csv", tmp_path / "p.csv")
    table = pd.read_csv(out)
    entries = json.loads((processed_task / "pose.json").read_text())
    assert len(table) == len(entries)
    columns = csv_header(COCO_17.names)[4:]
    for (_, row), entry in zip(table.iterrows(), entries, strict=True):
        assert int(row["frame"]) == int(entry["image_id"].split(".")[0])
        assert int(row["idx"]) == entry["idx"] and row["score"] == entry["score"]
        assert [row[c] for c in columns] == entry["keypoints"]  # the very same numbers
    text = out.read_text().splitlines()[1:]
    decimals = [len(v.split(".")[1]) for line in text for v in line.split(",")[4:] if "." in v]
    assert max(decimals) <= 4  # no float32 noise such as 0.9959999918937683


def test_layer_is_chosen_and_checked(processed_task, tmp_path):
    from ambientpose_desktop.core.errors import InputError
    from ambientpose_desktop.core.pose_table import PoseTable

    raw = PoseTable.load(processed_task / "pose_raw.npz")
    out = export_task(processed_task, "alphapose", tmp_path / "raw.json", layer="raw")
    assert len(json.loads(out.read_text())) == raw.num_rows
    with pytest.raises(InputError, match="no filtered results"):
        export_task(processed_task, "csv", tmp_path / "f.csv", layer="filtered")
    proc = _cli(processed_task, "--format", "csv", "--layer", "edited", "-o", tmp_path / "e.csv")
    assert proc.returncode == 2 and "no edited results" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.json"]


@pytest.mark.slow
def test_coco_export_of_an_image_folder_scores_against_its_annotations(media, tmp_path):
    """The image folder's COCO ids, from the names or --coco-gt: loadRes accepts the export
    and COCOeval gives the AP of test_embedded_accuracy.py's own conversion."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from ambientpose_desktop.core.results import to_coco_results
    from tests.pipeline.worker_helpers import run_detect

    folder = media("coco_val2017_mmpose")
    task = tmp_path / "task"
    proc = run_detect("--image-dir", folder, "--output", task)
    assert proc.returncode == 0, proc.stderr

    def ap(results) -> float:
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(folder / "test_coco.json"))
            evaluation = COCOeval(gt, gt.loadRes(results), "keypoints")
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        return evaluation.stats[0]

    by_name = export_task(task, "coco", tmp_path / "names.json")
    proc = _cli(task, "-f", "coco", "--coco-gt", folder / "test_coco.json",
                "-o", tmp_path / "gt.json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(by_name.read_text()) == json.loads((tmp_path / "gt.json").read_text())
    gt = json.loads((folder / "test_coco.json").read_text())
    ids = {img["file_name"]: img["id"] for img in gt["images"]}
    reference = ap(to_coco_results(json.loads((task / "pose.json").read_text()), ids))
    exported = ap(str(by_name))
    print(f"COCO keypoint AP of the export: {exported:.3f} (reference {reference:.3f})")
    assert exported == reference and exported >= 0.6


def test_coco_gt_missing_an_image_is_one_line(media, tmp_path):
    from tests.pipeline.worker_helpers import run_detect

    folder = media("coco_val2017_mmpose")
    task = tmp_path / "task"
    assert run_detect("--image-dir", folder, "--backend", "fake", "--output",
                      task).returncode == 0
    gt = json.loads((folder / "test_coco.json").read_text())
    gt["images"] = gt["images"][1:]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    proc = _cli(task, "-f", "coco", "--coco-gt", tmp_path / "gt.json", "-o", tmp_path / "c.json")
    assert proc.returncode == 2
    assert "1 of 4 images are not in the annotations" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "c.json").exists()


def _decoded_times(path) -> list[float]:
    import av

    with av.open(str(path)) as container:
        return [float(frame.time) for frame in container.decode(video=0)]


def test_overlay_video_keeps_variable_frame_rate_timestamps(media, tmp_path):
    """The 28 fps clip with a 6-frame gap: the overlay, from export and from the worker's
    --overlay-video, shows each frame at its source time (was up to 33 ms off)."""
    from tests.pipeline.worker_helpers import run_detect

    video = media("videos/mmaction2_demo_skeleton.mp4").resolve()
    task = tmp_path / "task"
    proc = run_detect(video, "--backend", "fake", "--overlay-video", "--output", task)
    assert proc.returncode == 0, proc.stderr
    source = _decoded_times(video)
    source = [t - source[0] for t in source]
    assert max(b - a for a, b in zip(source, source[1:], strict=False)) > 0.15  # the gap
    exported = export_task(task, "overlay-video", tmp_path / "o.mp4")
    for path in (exported, task / "overlay.mp4"):
        times = _decoded_times(path)
        assert len(times) == len(source) == 72
        assert max(abs(a - b) for a, b in zip(times, source, strict=True)) < 1e-3
