"""Synthetic media for viewer tests and benchmarks: long-GOP H.264 and long results."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def make_video(path: Path, frames: int = 300, width: int = 1920, height: int = 1080,
               fps: int = 30, gop: int = 250, preset: str = "veryfast") -> Path:
    """An H.264 MP4 whose every frame differs (moving gradient, noise, a frame-number bar).

    ``veryfast`` keeps x264's B-frames, so seeking meets reordering as in real footage.
    """
    import av

    rng = np.random.default_rng(7)
    noise = rng.integers(0, 40, size=(height // 8, width // 8, 3), dtype=np.uint8)
    noise = np.kron(noise, np.ones((8, 8, 1), np.uint8))
    xs = np.linspace(0, 255, width, dtype=np.float32)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                          "preset": preset, "crf": "28"}
        for i in range(frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = ((xs + i * 7) % 256).astype(np.uint8)
            image[..., 1] = (i * 3) % 256
            image[..., 2] = ((xs[::-1] + i * 3) % 256).astype(np.uint8)
            image += np.roll(noise, i * 8, axis=1)
            bar = int((i + 1) / frames * width)
            image[: height // 20, :bar] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def decode_at(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of ``path`` by decoding from the start: the slow, obviously right way."""
    import av

    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="rgb24")
    raise IndexError(index)


def make_results(folder: Path, video: Path, frames: int, people: int = 6,
                 fragments: int = 7, fps: float = 30.0, width: int = 1920,
                 height: int = 1080, seed: int = 0) -> Path:
    """A task folder of ``frames`` frames of tracked results for ``video``: ``people`` people
    walking about (COCO-17), each track broken into ``fragments`` ids at random frames, as a
    tracker leaves a long video; ``pose.npz`` and ``summary.json`` as the worker writes them."""
    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.core.summary import SourceInfo, Summary
    from ambientpose_desktop.core.task_folder import TaskFolder

    rng = np.random.default_rng(seed)
    idx = np.empty((frames, people), np.int32)
    for p in range(people):
        cuts = np.sort(rng.choice(np.arange(1, frames), fragments - 1, replace=False))
        idx[:, p] = 1 + p * fragments + np.searchsorted(cuts, np.arange(frames), side="right")
    size = np.array([width / 16, height / 3], np.float32)  # a person's box
    steps = rng.normal(0, width / 1000, (frames, people, 2)).astype(np.float32)
    room = np.array([width, height], np.float32) - size
    corner = np.clip(rng.random((people, 2)) * room + np.cumsum(steps, axis=0), 0, room)
    rows = frames * people
    boxes = np.empty((rows, 4), np.float32)
    boxes[:, :2] = corner.reshape(rows, 2)
    boxes[:, 2:] = size
    shape = rng.random((17, 2)).astype(np.float32) * size
    keypoints = np.empty((rows, 17, 3), np.float32)
    keypoints[:, :, :2] = (boxes[:, None, :2] + shape
                           + rng.normal(0, width / 1000, (rows, 17, 2)))
    keypoints[:, :, 2] = rng.beta(5, 1.5, (rows, 17))
    table = PoseTable(offsets=np.arange(0, rows + 1, people, dtype=np.int64),
                      keypoints=keypoints, boxes=boxes,
                      scores=keypoints[:, :, 2].mean(axis=1), idx=idx.ravel())
    files = TaskFolder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table.save(files.pose_table)
    Summary(source=SourceInfo(path=str(video), kind="video", width=width, height=height,
                              fps=fps, frame_count=frames, duration_s=frames / fps,
                              timestamps=[round(i / fps, 6) for i in range(frames)]),
            keypoint_format="coco17", backend="fake", device="cpu", params={},
            frames_processed=frames, persons=rows, tracks=people * fragments,
            timings={}).write(files.summary)
    return folder


def looped_video(source: Path, loops: int, path: Path) -> Path:
    """``source`` repeated ``loops`` times into ``path`` (MP4), packets copied: each loop
    decodes exactly like the source."""
    from ambientpose_desktop.pipeline.concat import concat_videos

    assert concat_videos([source] * loops, path)
    return path
