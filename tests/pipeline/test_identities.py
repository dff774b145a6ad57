"""Identities on real media with the embedded model: pose NMS, tracking and re-linking as the
worker runs them (``identity_harness``)."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.results import to_coco_results
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.pose_nms import DUPLICATE_OKS, same_frame_duplicates
from ambientpose_desktop.pipeline.stills import tracked_as_sequence
from ambientpose_desktop.pipeline.video import ImageFolderSource, open_source
from tests.pipeline.identity_harness import run_identity
from tests.pipeline.identity_media import FPS, occlusion_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend():
    from ambientpose_desktop.pipeline.backends import BackendConfig, create_backend

    model = create_backend("embedded", BackendConfig())
    yield model
    model.close()


def _left_right(table, frame: int) -> tuple[int, int]:
    """Ids of the left and the right person of a frame with two."""
    rows = table.rows(frame)
    assert rows.stop - rows.start == 2, f"frame {frame} has {rows.stop - rows.start} people"
    ids, x = table.idx[rows], table.boxes[rows, 0]
    return int(ids[np.argmin(x)]), int(ids[np.argmax(x)])


def test_a_person_hidden_for_over_three_seconds_keeps_one_identity(media, backend):
    clip = occlusion_clip(media("videos/mmaction2_demo_skeleton.mp4"), backend)
    run = run_identity(clip.frames, backend, FPS)
    raw, linked = run.layers.raw.table, run.layers.linked
    shown = [f for f in range(linked.num_frames) if f not in clip.hidden]
    # the online tracker forgot him: he came back under a new id ...
    assert _left_right(raw, shown[0])[1] != _left_right(raw, shown[-1])[1]
    # ... and re-linking gave him his own back, with two identities in all
    assert _left_right(linked, shown[0]) == _left_right(linked, shown[-1])
    assert set(linked.idx.tolist()) == set(_left_right(linked, shown[0]))
    for f in shown:
        assert len(set(_left_right(linked, f))) == 2
    assert all(linked.count(f) == 1 for f in clip.hidden)
    assert not len(run.layers.raw.rejected_rows)


def test_the_hugging_pair_stays_two_in_every_frame(media, backend):
    source = open_source(media("videos/mmaction2_demo_skeleton.mp4"))
    frames = list(source.frames())
    run = run_identity(frames, backend, source.info.fps)
    linked = run.layers.linked
    assert linked.num_frames == 72
    pairs = {_left_right(linked, f) for f in range(72)}
    assert len(pairs) == 1 and len(next(iter(pairs))) == 2


def test_openpose_video_has_no_duplicates_and_fewer_ids(media, backend):
    source = open_source(media("videos/openpose_video.avi"))
    frames = list(source.frames())
    before = run_identity(frames, backend, source.info.fps, nms=False, relinked=False)
    after = run_identity(frames, backend, source.info.fps)

    def duplicates(table):
        return same_frame_duplicates(table.keypoints, table.boxes, table.offsets, COCO_17,
                                     DUPLICATE_OKS)

    linked = after.layers.linked
    assert len(duplicates(before.layers.linked)) > 5  # today's output: the same person twice
    assert duplicates(linked) == []
    ids_before = len(set(before.layers.linked.idx.tolist()))
    ids_after = len(set(linked.idx.tolist()))
    assert ids_after < ids_before
    assert ids_after <= 10  # 16 before pose NMS and re-linking; 9 measured
    frame_of = linked.frame_of_row()
    for identity in set(linked.idx.tolist()):  # never two poses of one identity in a frame
        assert len(np.unique(frame_of[linked.idx == identity])) == np.sum(linked.idx == identity)


def test_coco_keypoint_ap_is_kept_with_pose_nms(media, backend, tmp_path):
    """The AP of tests/pipeline/test_embedded_accuracy.py (0.698 today), through pose NMS."""
    pytest.importorskip("pycocotools.coco")
    folder = media("coco_val2017_mmpose")
    source = ImageFolderSource(folder)
    assert not tracked_as_sequence(source.files)
    frames = list(source.frames())
    aps = {}
    for nms in (False, True):
        run = run_identity(frames, backend, 0.0, sequence=False, nms=nms)
        run.layers.save(TaskFolder(tmp_path), source.info.image_names)
        entries = json.loads((tmp_path / "pose.json").read_text())
        assert len({e["idx"] for e in entries}) == len(entries)  # stills: an id per person
        aps[nms] = _keypoint_ap(folder / "test_coco.json", entries)
    assert aps[True] >= aps[False] - 1e-9
    assert aps[True] >= 0.69


def _keypoint_ap(gt_file, entries: list[dict]) -> float:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_file))
        ids = {img["file_name"]: img["id"] for img in gt.dataset["images"]}
        evaluation = COCOeval(gt, gt.loadRes(to_coco_results(entries, ids)), "keypoints")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])
