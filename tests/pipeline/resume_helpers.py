"""Interrupt a real worker with SIGKILL part-way, and compare two task folders' results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.pipeline.worker_helpers import worker_env


def kill_detect_at(frame: int, *args, timeout: float = 120) -> int:
    """Start ``ambientpose detect *args`` and SIGKILL it once it reports ``frame`` frames
    done (its progress events); returns the frame it had reported."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ambientpose_desktop", "detect", *map(str, args),
         "--events", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=worker_env())
    try:
        for line in proc.stdout:
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("event") == "progress" and event["frame"] >= frame:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout)
                return event["frame"]
            assert event.get("event") not in ("finished", "failed"), event
        raise AssertionError(f"the worker ended before frame {frame} (exit {proc.wait()})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def kill_detect_after_checkpoint(beyond: int, out: Path, *args, timeout: float = 120) -> int:
    """Start ``ambientpose detect --output out *args`` and SIGKILL it as soon as its
    checkpoint holds more than ``beyond`` frames (progress events come too far apart to
    time this); returns the frames that checkpoint holds."""
    from ambientpose_desktop.core.task_folder import TaskFolder

    manifest = TaskFolder(out).checkpoint / "manifest.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ambientpose_desktop", "detect", *map(str, args),
         "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=worker_env())
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                frames = json.loads(manifest.read_text())["frames"]
            except (OSError, ValueError, KeyError):  # not there yet, or being replaced
                frames = 0
            if frames > beyond:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout)
                return frames
            time.sleep(0.005)
        raise AssertionError(f"no checkpoint beyond frame {beyond} (exit {proc.poll()})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def assert_same_results(resumed: Path, uninterrupted: Path, atol: float = 0.0) -> None:
    """The same people in the same frames with the same ids (raw and linked layers), the
    keypoints within ``atol`` pixels, the same timestamps and frame index."""
    for name in ("pose.npz", "pose_raw.npz", "frames.npz"):
        if not (uninterrupted / name).exists():
            assert not (resumed / name).exists(), name
            continue
        with np.load(resumed / name) as got, np.load(uninterrupted / name) as expected:
            assert sorted(got.files) == sorted(expected.files), name
            for key in set(expected.files) - {"video"}:  # the input's stamp (size, mtime)
                a, b = got[key], expected[key]
                assert a.shape == b.shape, (name, key)
                if a.dtype.kind == "f" and key != "time_base":
                    np.testing.assert_allclose(a, b, atol=atol, rtol=0, err_msg=f"{name} {key}")
                else:
                    np.testing.assert_array_equal(a, b, err_msg=f"{name} {key}")
    _assert_same_proxy(resumed, uninterrupted)
    got = json.loads((resumed / "summary.json").read_text())
    expected = json.loads((uninterrupted / "summary.json").read_text())
    for key in ("frames_processed", "persons", "tracks", "rejected"):
        assert got[key] == expected[key], key
    assert got["source"]["timestamps"] == expected["source"]["timestamps"]


def _assert_same_proxy(resumed: Path, uninterrupted: Path) -> None:
    """The scrub proxy's frame i is the video's frame i in both (encoded apart: close, not
    equal; on the street clip neighbouring frames differ by 6 to 20 where the parts meet)."""
    from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxy

    frames = json.loads((uninterrupted / "summary.json").read_text())["frames_processed"]
    expected = ScrubProxy.open(uninterrupted, frames)
    if expected is None:
        assert not (resumed / "scrub.mp4").exists()
        return
    got = ScrubProxy.open(resumed, frames)
    try:
        assert got is not None and len(got) == len(expected) == frames
        for index in range(0, frames, max(1, frames // 25)):
            a = got.frame(index, "rgb24").astype(np.int16)
            b = expected.frame(index, "rgb24").astype(np.int16)
            assert np.abs(a - b).mean() < 6.0, index
    finally:
        expected.close()
        if got is not None:
            got.close()
    assert not list(resumed.glob(".*scrub*")), "a part of the proxy was left behind"
