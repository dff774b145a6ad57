"""Long videos on a real ``distributed.LocalCluster`` (two worker processes), split into
chunks of frames: the joined results equal one process's up to the numbering of the ids,
a Dask worker killed mid-chunk costs that chunk only, Cancel stops every chunk."""

from __future__ import annotations

import json
import os
import re
import signal

import numpy as np
import pytest

from ambientpose_desktop.core.chunks import ChunkRange, lead_in_frames, plan_chunks
from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import cancel_task
from ambientpose_desktop.runner.dask_runner import executor_option
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path
from tests.dask_helpers import worker_processes
from tests.pipeline.worker_helpers import run_detect
from tests.polling import wait_for
from tests.runner.async_driver import AsyncDriver, Recorder
from tests.synthetic import looped_video

pytest.importorskip("distributed")

FAKE = TaskParams(backend="fake")
FRAMES = 200
CHUNK = 70  # 70 + 70 + 60 frames, each chunk after the first with a 10-frame lead-in


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """The pedestrian-mall clip (5 fps, 960x540, a woman in front and many small people)
    looped 40 times: 200 frames, 40 s."""
    return looped_video(media_path("videos/mmpose_demo.mp4"), 40,
                        tmp_path_factory.mktemp("long") / "mall_40x.mp4")


@pytest.fixture
def chunked(store, dask_cluster):
    """``chunked(**settings) -> (driver, recorder)``: serve's runner sending its tasks to the
    LocalCluster, videos longer than ``CHUNK`` frames in chunks."""
    drivers = []

    def start(**settings):
        recorder = Recorder()
        config = AppSettings(task=FAKE, **executor_option(dask_cluster),
                             **{"chunk_frames": CHUNK, **settings})
        drivers.append(AsyncDriver(store, config, recorder))
        return drivers[-1], recorder

    yield start
    for driver in drivers:
        driver.stop()


def _single_run(tmp_path, video, *args: str):
    out = tmp_path / "single"
    proc = run_detect(video, "--output", out, *args)
    assert proc.returncode == 0, proc.stderr
    return TaskFolder(out)


def _same_up_to_ids(single: PoseTable, joined: PoseTable, atol: float = 0.0) -> None:
    """Same detections in every frame, keypoints within ``atol``, ids equal under a
    bijection."""
    assert np.array_equal(single.offsets, joined.offsets)
    np.testing.assert_allclose(joined.keypoints, single.keypoints, atol=atol, rtol=0)
    np.testing.assert_allclose(joined.boxes, single.boxes, atol=max(atol, 1e-6), rtol=0)
    pairs = set(zip(single.idx.tolist(), joined.idx.tolist(), strict=True))
    assert len(pairs) == len(set(single.idx.tolist())) == len(set(joined.idx.tolist()))


def _events(folder: TaskFolder) -> list[dict]:
    return [json.loads(line) for line in folder.events.read_text().splitlines()]


def _starts(recorder: Recorder, task_id: str) -> dict[str, int]:
    """How often each chunk started (its first run and its reruns)."""
    counts: dict[str, int] = {}
    for message in recorder.logs(task_id):
        found = re.match(r"(?:the Dask worker running )?(chunk \d+) .*(?:running|again) on ",
                         message)
        if found:
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return counts


def test_a_chunked_video_gives_the_results_of_one_process(chunked, store, tmp_path,
                                                          long_video):
    repo, artefacts = store
    task = repo.create(long_video, FAKE)
    _, recorder = chunked()
    wait_for(lambda: repo.get(task.id).status.is_final, timeout=120, what="the chunked task")
    row = repo.get(task.id)
    assert row.status == TaskStatus.SUCCESS, row.error
    assert (row.progress_done, row.progress_total) == (FRAMES, FRAMES)
    assert _starts(recorder, task.id) == {"chunk 1": 1, "chunk 2": 1, "chunk 3": 1}
    assert any("chunk 3 (frames 140–the end) running on Dask worker" in m
               for m in recorder.logs(task.id))

    single = _single_run(tmp_path, long_video, "--backend", "fake")
    joined = TaskFolder(artefacts.results_dir(row))
    _same_up_to_ids(PoseTable.load(single.pose_table), PoseTable.load(joined.pose_table))
    _same_up_to_ids(RawLayer.load(single.raw_table).table,
                    RawLayer.load(joined.raw_table).table)
    one, many = (json.loads(f.summary.read_text()) for f in (single, joined))
    assert many["source"] == one["source"]  # frame count, timestamps, duration
    assert (many["frames_processed"], many["persons"], many["tracks"]) == \
        (one["frames_processed"], one["persons"], one["tracks"])
    assert many["outputs"] == one["outputs"]
    assert joined.frame_index.read_bytes() == single.frame_index.read_bytes()
    assert not joined.chunks.exists()

    from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxy

    proxy = ScrubProxy.open(joined.path, FRAMES)
    reference = ScrubProxy.open(single.path, FRAMES)
    assert len(proxy) == FRAMES
    for i in (0, CHUNK - 1, CHUNK, 2 * CHUNK, FRAMES - 1):  # frame i of the proxy is frame i
        near = np.abs(proxy.frame(i, "rgb24").astype(int)
                      - reference.frame(i, "rgb24").astype(int)).mean()
        assert near < 8, (i, near)
    proxy.close()
    reference.close()

    events = _events(joined)
    names = [e["event"] for e in events]
    assert names.count("started") == 1 and names[-1] == "finished"
    assert next(e for e in events if e["event"] == "started")["total_frames"] == FRAMES
    frames = [e["frame"] for e in events if e["event"] == "progress"]
    assert frames == sorted(frames) and frames[-1] == FRAMES


def test_a_worker_killed_mid_chunk_runs_that_chunk_again_only(chunked, store, tmp_path,
                                                              long_video, dask_cluster):
    """The killed worker had finished chunk 1 before and was running chunk 3: chunk 3 runs
    again, chunk 1 is not computed again, and nothing is counted twice."""
    from distributed import Client

    repo, artefacts = store
    slow = TaskParams(backend="fake", backend_options={"delay_s": 0.05})
    task = repo.create(long_video, slow)
    with Client(dask_cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        _, recorder = chunked()

        def running(chunk: str) -> str | None:
            for message in recorder.logs(task.id):
                found = re.match(rf"{chunk} \(.*\) running on Dask worker (\S+) on", message)
                if found:
                    return found.group(1)
            return None

        wait_for(lambda: running("chunk 3"), timeout=90, what="chunk 3 to start")
        third = TaskFolder(artefacts.results_dir(repo.get(task.id))).chunk(2)
        wait_for(lambda: third.events.exists() and '"progress"' in third.events.read_text(),
                 what="chunk 3's progress")
        assert repo.get(task.id).status == TaskStatus.RUNNING
        os.kill(pids[running("chunk 3")], signal.SIGKILL)
        wait_for(lambda: repo.get(task.id).status.is_final, timeout=120, what="the rerun")
    row = repo.get(task.id)
    assert row.status == TaskStatus.SUCCESS, row.error
    assert _starts(recorder, task.id) == {"chunk 1": 1, "chunk 2": 1, "chunk 3": 2}
    assert any(m.startswith("the Dask worker running chunk 3 (frames 140–the end) was lost")
               for m in recorder.logs(task.id))
    assert (row.progress_done, row.progress_total) == (FRAMES, FRAMES)
    joined = TaskFolder(artefacts.results_dir(row))
    names = [e["event"] for e in _events(joined)]
    assert names.count("started") == 1 and names.count("finished") == 1
    single = _single_run(tmp_path, long_video, "--backend", "fake")
    _same_up_to_ids(PoseTable.load(single.pose_table), PoseTable.load(joined.pose_table))
    assert worker_processes(task.id) == []


def test_cancel_stops_every_chunk(chunked, store, long_video):
    repo, _ = store
    task = repo.create(long_video, TaskParams(backend="fake",
                                              backend_options={"delay_s": 0.2}))
    driver, recorder = chunked()
    wait_for(lambda: len(worker_processes(task.id)) == 2, timeout=60,
             what="two chunks running")
    wait_for(lambda: recorder.frames(task.id) > 0, what="progress")
    assert cancel_task(repo, driver.runner, task.id)
    wait_for(lambda: repo.get(task.id).status.is_final, timeout=30, what="the cancel")
    assert repo.get(task.id).status == TaskStatus.CANCELED
    wait_for(lambda: not worker_processes(task.id), timeout=15, what="the chunks to end")


@pytest.mark.slow
def test_the_embedded_model_chunked_gives_the_poses_of_one_process(chunked, store, tmp_path,
                                                                   long_video):
    """The embedded default on the first 30 frames in chunks of 10: the second and third
    chunks' trackers begin fresh at frames 0 and 10 (their lead-ins), the seams are real."""
    repo, artefacts = store
    video = long_video
    params = TaskParams(backend="embedded", device="cpu", max_frames=30)
    task = repo.create(video, params)
    _, recorder = chunked(chunk_frames=10)
    wait_for(lambda: repo.get(task.id).status.is_final, timeout=240, what="the task")
    row = repo.get(task.id)
    assert row.status == TaskStatus.SUCCESS, row.error
    assert _starts(recorder, task.id) == {"chunk 1": 1, "chunk 2": 1, "chunk 3": 1}
    single = _single_run(tmp_path, video, "--device", "cpu", "--max-frames", "30")
    joined = TaskFolder(artefacts.results_dir(row))
    _same_up_to_ids(PoseTable.load(single.pose_table), PoseTable.load(joined.pose_table),
                    atol=0.01)


def test_chunk_plans():
    assert plan_chunks(410, 140) == [ChunkRange(0, 0, 140), ChunkRange(1, 140, 280),
                                     ChunkRange(2, 280, None)]
    # a frame limit ends the last chunk; exactly one chunk's worth is one chunk
    assert plan_chunks(300, 100, to_the_end=False)[-1] == ChunkRange(2, 200, 300)
    assert plan_chunks(100, 100) == [ChunkRange(0, 0, None)]
    assert lead_in_frames(0, 50.0) == 0 and lead_in_frames(30, 50.0) == 30
    assert lead_in_frames(1000, 50.0) == 100 and lead_in_frames(1000, 0.0) == 60
    assert ChunkRange(2, 280, None).describe() == "chunk 3 (frames 280–the end)"
