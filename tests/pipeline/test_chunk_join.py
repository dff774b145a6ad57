"""The worker's chunk commands without a cluster: ``detect --start-frame/--stop-frame`` into
chunk folders, then ``detect --join-chunks``, against one run of the same video; a chunk
ending early at the end of the stream, one past it, and chunks that do not fit; the seam."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ambientpose_desktop.core.chunks import ChunkRecord
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.chunk_join import stitch
from tests.conftest import media_path
from tests.pipeline.worker_helpers import events_of, run_detect
from tests.synthetic import looped_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """The pedestrian-mall clip looped 40 times: 200 frames at 5 fps."""
    return looped_video(media_path("videos/mmpose_demo.mp4"), 40,
                        tmp_path_factory.mktemp("chunks") / "mall_40x.mp4")


def _chunk(video, folder: TaskFolder, index: int, start: int, stop: int | None):
    args = ["--start-frame", str(start)] + (["--stop-frame", str(stop)] if stop else [])
    proc = run_detect("--video", video, "--backend", "fake", "--output",
                      folder.chunk(index).path, "--events", "jsonl", *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_chunks_ending_at_and_past_the_end_join_into_one_run(video, tmp_path):
    """As if the container claimed 300 frames: the second chunk stops early at the real
    end (200), the third begins past it and is empty."""
    single = TaskFolder(tmp_path / "single")
    assert run_detect("--video", video, "--backend", "fake", "--output",
                      single.path).returncode == 0
    task = TaskFolder(tmp_path / "task")
    _chunk(video, task, 0, 0, 100)
    second = _chunk(video, task, 1, 100, 250)
    _chunk(video, task, 2, 250, None)
    started = next(e for e in events_of(second.stdout) if e["event"] == "started")
    assert started["total_frames"] == 150
    events = events_of(second.stdout)
    assert max(e["frame"] for e in events if e["event"] == "progress") <= 100
    assert events[-1]["frames"] == 100  # its own frames, not the 10 of its lead-in
    record = ChunkRecord.read(task.chunk(1).chunk_record)
    assert (record.start, record.stop, record.lead_in, record.frames) == (100, 250, 10, 100)
    assert ChunkRecord.read(task.chunk(2).chunk_record).frames == 0

    proc = run_detect("--video", video, "--backend", "fake", "--output", task.path,
                      "--events", "jsonl", "--join-chunks", "3")
    assert proc.returncode == 0, proc.stderr
    assert [e["event"] for e in events_of(proc.stdout)][-1] == "finished"
    one, joined = PoseTable.load(single.pose_table), PoseTable.load(task.pose_table)
    assert np.array_equal(one.offsets, joined.offsets)
    assert np.array_equal(one.keypoints, joined.keypoints)
    assert len(set(zip(one.idx.tolist(), joined.idx.tolist(), strict=True))) == \
        len(set(one.idx.tolist())) == len(set(joined.idx.tolist()))
    summaries = [json.loads(f.summary.read_text()) for f in (single, task)]
    assert summaries[1]["source"] == summaries[0]["source"]
    assert summaries[1]["source"]["frame_count"] == 200
    assert summaries[1]["timings"]["chunks"] == 3
    assert task.frame_index.read_bytes() == single.frame_index.read_bytes()


def test_a_join_without_its_chunks_says_which_one(video, tmp_path):
    task = TaskFolder(tmp_path / "task")
    _chunk(video, task, 0, 0, 100)
    proc = run_detect("--video", video, "--backend", "fake", "--output", task.path,
                      "--events", "jsonl", "--join-chunks", "2")
    assert proc.returncode == 2
    failed = events_of(proc.stdout)[-1]
    assert failed["event"] == "failed"
    assert failed["error"].startswith(f"the results of chunk 2 cannot be read from "
                                      f"{task.chunk(1).path}")
    assert not task.summary.exists()


def test_chunks_that_do_not_follow_each_other_are_refused(video, tmp_path):
    task = TaskFolder(tmp_path / "task")
    _chunk(video, task, 0, 0, 50)
    _chunk(video, task, 1, 60, None)
    proc = run_detect("--video", video, "--backend", "fake", "--output", task.path,
                      "--events", "jsonl", "--join-chunks", "2")
    assert proc.returncode == 2
    assert events_of(proc.stdout)[-1]["error"] == (
        "chunks do not follow each other: one ends at frame 50, the next begins at 60")


def test_a_frame_range_without_frames_is_bad_input(video, tmp_path):
    proc = run_detect("--video", video, "--backend", "fake", "--output", tmp_path / "c",
                      "--start-frame", "50", "--stop-frame", "50")
    assert proc.returncode == 2
    assert "no frames between --start-frame 50 and --stop-frame 50" in proc.stderr


def _raw(frames: list[list[tuple[int, float]]]) -> RawLayer:
    """A raw layer of one row per (online id, box x) in each frame."""
    rows = [row for frame in frames for row in frame]
    offsets = np.cumsum([0] + [len(f) for f in frames]).astype(np.int64)
    boxes = np.array([(x, 10.0, 40.0, 80.0) for _, x in rows], np.float32).reshape(-1, 4)
    table = PoseTable(offsets=offsets, keypoints=np.zeros((len(rows), 17, 3), np.float32),
                      boxes=boxes, scores=np.ones(len(rows), np.float32),
                      idx=np.array([i for i, _ in rows], np.int32))
    return RawLayer(table, np.zeros((len(rows), 4), np.float16), table.idx.copy())


def _record(start: int, lead_in: int, frames: int) -> ChunkRecord:
    return ChunkRecord(index=0, start=start, stop=None, lead_in=lead_in, frames=frames,
                       keypoint_format="coco17", backend="fake", device="cpu", relinked=True,
                       timings={})


def test_the_seam_continues_each_track_under_its_earlier_id():
    """The second chunk's tracker numbered the same two people the other way round, and a
    third person appears after the seam: they keep the first chunk's ids, the newcomer gets
    the next one; a track that ends in the lead-in is dropped with it."""
    first = _raw([[(1, 0.0), (2, 200.0)]] * 4)
    second = _raw([[(2, 1.0), (1, 201.0), (4, 400.0)], [(2, 2.0), (1, 202.0)],  # lead-in
                   [(2, 3.0), (1, 203.0)], [(2, 4.0), (1, 204.0), (3, 600.0)]])
    table, appearance = stitch([first, second], [_record(0, 0, 4), _record(4, 2, 2)])
    assert table.num_frames == 6 and len(appearance) == table.num_rows == 8 + 5
    assert table.idx[table.rows(4)].tolist() == [1, 2]  # x 3 is the first chunk's id 1
    assert table.idx[table.rows(5)].tolist() == [1, 2, 3]


def test_a_joined_run_draws_its_overlay_video_over_every_frame(video, tmp_path):
    """The join draws overlay.mp4 with the linked ids as one run does (through the worker's
    own drawing, which takes the run's source info and timestamps)."""
    import av

    task = TaskFolder(tmp_path / "task")
    _chunk(video, task, 0, 0, 120)
    _chunk(video, task, 1, 120, None)
    proc = run_detect("--video", video, "--backend", "fake", "--output", task.path,
                      "--events", "jsonl", "--join-chunks", "2", "--overlay-video")
    assert proc.returncode == 0, proc.stderr
    with av.open(str(task.path / "overlay.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 200
