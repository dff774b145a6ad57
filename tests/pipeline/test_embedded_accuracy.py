"""The embedded default on real media: COCO keypoint AP, the 5-frame demo, tracking."""

from __future__ import annotations

import contextlib
import io
import json
from collections import defaultdict

import pytest

from ambientpose_desktop.core.results import to_coco_results
from ambientpose_desktop.core.summary import Summary
from tests.pipeline.worker_helpers import run_detect

pytestmark = pytest.mark.slow


def _frames(entries: list[dict]) -> dict[str, list[dict]]:
    frames: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        frames[str(entry["image_id"])].append(entry)
    return frames


def test_coco_keypoint_ap(media, tmp_path):
    """AP on 4 COCO val2017 images, scored by pycocotools from our AlphaPose-format output
    (reference implementation of this model: ~0.70; 0.698 here). The speed work must not
    cost accuracy, so the bar is just under today's figure, not a loose floor."""
    pycocotools = pytest.importorskip("pycocotools.coco")
    from pycocotools.cocoeval import COCOeval

    folder = media("coco_val2017_mmpose")
    proc = run_detect("--image-dir", folder, "--output", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "test_coco.json" in proc.stdout  # skipped, with a log line saying so
    with contextlib.redirect_stdout(io.StringIO()):
        gt = pycocotools.COCO(str(folder / "test_coco.json"))
        ids = {img["file_name"]: img["id"] for img in gt.dataset["images"]}
        entries = json.loads((tmp_path / "pose.json").read_text())
        dt = gt.loadRes(to_coco_results(entries, ids))
        evaluation = COCOeval(gt, dt, "keypoints")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    ap = evaluation.stats[0]
    print(f"COCO keypoint AP: {ap:.3f}")
    assert ap >= 0.69


def test_detect_demo_video(media, tmp_path):
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--output", tmp_path)
    assert proc.returncode == 0, proc.stderr
    frames = _frames(json.loads((tmp_path / "pose.json").read_text()))
    assert sorted(frames) == [f"{i}.jpg" for i in range(5)]
    for people in frames.values():
        assert len(people) >= 1
        for person in people:
            assert len(person["keypoints"]) == 17 * 3
            assert isinstance(person["idx"], int) and person["idx"] >= 1
    summary = Summary.read(tmp_path / "summary.json")
    assert summary.source.frame_count == 5 and summary.source.fps == 5
    assert summary.backend == "embedded" and summary.keypoint_format == "coco17"


def test_tracks_persist_on_openpose_video(media, tmp_path):
    """205 frames at 50 fps with 3-5 walking people and a moving camera: ids stay put."""
    proc = run_detect(media("videos/openpose_video.avi"), "--output", tmp_path)
    assert proc.returncode == 0, proc.stderr
    frames = _frames(json.loads((tmp_path / "pose.json").read_text()))
    assert len(frames) == 205
    ids = [{p["idx"] for p in frames[f"{i}.jpg"]} for i in range(205)]
    assert all(i >= 1 for frame in ids for i in frame)
    kept = sum(len(a & b) for a, b in zip(ids, ids[1:], strict=False))
    possible = sum(min(len(a), len(b)) for a, b in zip(ids, ids[1:], strict=False))
    assert kept / possible >= 0.9
    # the prominent walkers are each one track for (nearly) the whole clip
    longest = sorted((sum(i in frame for frame in ids) for i in set().union(*ids)), reverse=True)
    assert longest[0] >= 200 and longest[1] >= 150
