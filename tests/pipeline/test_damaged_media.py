"""Damaged media as a user would have them, made at test time from shared media with PyAV:
frames a damaged decoder emits out of order, a run cut short by damage, an image folder with
an unreadable image."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ambientpose_desktop.core.results import read_alphapose
from tests.pipeline.worker_helpers import run_detect, worker_env

# One byte of the slice headers of these packets (decoding order) set to 0: the picture order
# count goes wrong and H.264 emits frames 76-79 and 84-89 out of order (frame 88 is lost).
_DAMAGED_PACKETS = (73, 86)


@pytest.fixture(scope="module")
def bframe_copy(tmp_path_factory) -> Path:
    """120 frames of the shared street clip at 320x180, H.264 with B-frames (so the decoder
    reorders), moov first (so a cut copy keeps its index); one thread, for the same bytes on
    every machine."""
    import tests.conftest as conftest

    source = conftest.media_path("videos/openpose_video.avi")
    path = tmp_path_factory.mktemp("bframes") / "street.mp4"
    with av.open(str(source)) as src, av.open(str(path), "w", format="mp4",
                                              options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(50))
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"bf": "3", "g": "30", "preset": "veryfast", "crf": "28",
                          "threads": "1"}
        for i, frame in enumerate(src.decode(video=0)):
            if i == 120:
                break
            small = frame.reformat(width=320, height=180, format="yuv420p")
            small.pts = None
            for packet in stream.encode(small):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _damage_slice_headers(video: Path, out: Path, packets=_DAMAGED_PACKETS) -> Path:
    with av.open(str(video)) as container:
        where = [p.pos for p in container.demux(video=0) if p.size]
    data = bytearray(video.read_bytes())
    for i in packets:
        data[where[i] + 6] = 0  # 4 bytes of NAL length, the NAL header, then the slice header
    out.write_bytes(bytes(data))
    return out


def _decoder_order(video: Path) -> list[int]:
    """Pts as FFmpeg hands the frames over, without our reordering."""
    with av.open(str(video)) as container:
        return [frame.pts for frame in container.decode(video=0)]


def _strictly_increasing(values) -> bool:
    return all(b > a for a, b in zip(values, values[1:], strict=False))


def test_frames_a_damaged_decoder_reorders_come_in_presentation_order(bframe_copy, tmp_path):
    from ambientpose_desktop.pipeline.video import VideoSource

    damaged = _damage_slice_headers(bframe_copy, tmp_path / "damaged.mp4")
    raw = _decoder_order(damaged)
    assert not _strictly_increasing(raw)  # the damage does what the test is about
    source = VideoSource(damaged)
    try:
        frames = [(index, t) for index, t, _ in source.frames()]
    finally:
        source.close()
    assert [index for index, _ in frames] == list(range(len(frames)))
    assert _strictly_increasing([t for _, t in frames])
    assert list(source.decoded_pts) == sorted(set(raw))  # none missing, none twice
    assert source.info.frames_dropped == len(raw) - len(set(raw))


def test_a_run_on_reordered_damage_keeps_presentation_order_everywhere(bframe_copy, tmp_path):
    """Results, frame index and the overlay (drawn by a second decoding, matched by time)."""
    from ambientpose_desktop.pipeline.frame_index import FrameIndex

    damaged = _damage_slice_headers(bframe_copy, tmp_path / "damaged.mp4")
    decoded = len(set(_decoder_order(damaged)))
    out = tmp_path / "task"
    proc = run_detect(damaged, "--backend", "fake", "-o", out, "--overlay-video")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    stamps = summary["source"]["timestamps"]
    assert summary["frames_processed"] == summary["source"]["frame_count"] == decoded == 119
    assert summary["source"]["frame_count_claimed"] == 120
    assert len(stamps) == decoded and _strictly_increasing(stamps)
    assert len(read_alphapose(out / "pose.json", num_frames=decoded)) == decoded
    index = FrameIndex.load(out / "frames.npz", damaged)
    assert index is not None and _strictly_increasing(index.pts) and len(index.pts) == decoded
    with av.open(str(out / "overlay.mp4")) as container:
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) == decoded
    assert max(abs(a - b) for a, b in zip(times, stamps, strict=True)) < 1e-3


def _export(task: Path, fmt: str, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "export", str(task),
                           "--format", fmt, "--output", str(output)],
                          capture_output=True, text=True, timeout=120, env=worker_env())


def test_a_partial_run_records_how_far_it_got_and_exports_overlay_and_jpegs(bframe_copy,
                                                                            tmp_path):
    data = bframe_copy.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    task = tmp_path / "task"
    proc = run_detect(cut, "--backend", "fake", "-o", task)
    assert proc.returncode == 1 and "damaged" in proc.stderr, proc.stderr
    summary = json.loads((task / "summary.json").read_text())
    done = summary["frames_processed"]
    assert summary["source"]["frame_count_claimed"] == 120
    assert summary["source"]["frame_count"] == done and 20 < done < 120
    assert any("damaged" in w and "of 120" in w for w in summary["warnings"])

    video = tmp_path / "overlay.mp4"
    proc = _export(task, "overlay-video", video)
    assert proc.returncode == 0, proc.stderr
    with av.open(str(video)) as container:
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) == done
    assert max(abs(a - b) for a, b in zip(times, summary["source"]["timestamps"],
                                          strict=True)) < 1e-3
    jpegs = tmp_path / "jpegs"
    proc = _export(task, "frames-jpeg", jpegs)
    assert proc.returncode == 0, proc.stderr
    for folder in ("frames_cut", "overlay_cut"):
        assert len(list((jpegs / folder).glob("*.jpg"))) == done
    assert not list(tmp_path.glob(".*part*"))


def test_overlay_frames_are_matched_to_results_by_time_not_position(media):
    """A run whose decoder left out frame 2 has 4 results for 5 frames: frame 2 is drawn bare
    and frames 3 and 4 get results 2 and 3 (by position they would shift by one)."""
    from ambientpose_desktop.core.pose_table import PoseTableBuilder
    from ambientpose_desktop.core.poses import Person
    from ambientpose_desktop.pipeline.outputs import draw_source

    video = media("videos/mmpose_demo.mp4")  # 5 frames at 5 fps
    builder = PoseTableBuilder(17)
    for result in range(4):
        builder.add([Person(np.zeros((17, 3)), (0, 0, 10, 10), 0.9, idx=result + 1)])

    class Recorder:  # what RenderedOutputs is handed, kept instead of drawn
        def __init__(self) -> None:
            self.drawn: list[tuple[float, list[int]]] = []

        def add(self, rgb, persons, timestamp) -> None:
            self.drawn.append((round(timestamp, 6), [p.idx for p in persons]))

    recorder = Recorder()
    draw_source(recorder, video, builder.build(), [0.0, 0.2, 0.6, 0.8], lambda: None)
    assert recorder.drawn == [(0.0, [1]), (0.2, [2]), (0.4, []), (0.6, [3]), (0.8, [4])]


@pytest.mark.parametrize("broken", ["COCO_val2014_000000000100.jpg",  # first
                                    "COCO_val2014_000000000200.jpg"])  # between two
def test_an_unreadable_image_is_skipped_and_named(media, tmp_path, broken):
    from ambientpose_desktop.pipeline.export import export_task

    folder = tmp_path / "images"
    folder.mkdir()
    good = ["COCO_val2014_000000000192.jpg", "COCO_val2014_000000000241.jpg",
            "COCO_val2014_000000000257.jpg"]
    for name in good:
        shutil.copy(media(f"images/openpose_COCO_val2014/{name}"), folder / name)
    (folder / broken).write_bytes(b"\xff\xd8\xff\xe0 cut off after the JPEG marker")
    task = tmp_path / "task"
    proc = run_detect("--image-dir", folder, "--backend", "fake", "-o", task)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((task / "summary.json").read_text())
    source = summary["source"]
    assert summary["frames_processed"] == source["frame_count"] == 3
    assert source["frame_names"] == good and source["frames_dropped"] == 1
    assert source["frame_count_claimed"] == 4
    assert [w for w in summary["warnings"] if broken in w] == [
        f"skipped {broken}: not an image that can be read"]
    entries = json.loads((task / "pose.json").read_text())
    assert {e["image_id"] for e in entries} == set(good)
    coco = json.loads(export_task(task, "coco", tmp_path / "coco.json").read_text())
    assert {e["image_id"] for e in coco} == {192, 241, 257}
