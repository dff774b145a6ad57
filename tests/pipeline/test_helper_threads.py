"""The worker's helper threads run below a CPU model's priority, and only then (speed)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.pipeline import helper_threads
from ambientpose_desktop.pipeline.events_sink import EventSink
from ambientpose_desktop.pipeline.helper_threads import HELPER_NICE_STEP, helper_thread
from ambientpose_desktop.pipeline.worker import DetectJob, run

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a nice value is a thread's own only on Linux")


def _nice_inside(below_model: bool) -> tuple[int, int]:
    """The nice value of a helper thread, and of a thread that one started."""
    seen: list[int] = []

    def inner() -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    def target() -> None:
        inner()
        child = threading.Thread(target=inner)
        child.start()
        child.join()

    thread = helper_thread(target, "probe", below_model)
    thread.start()
    thread.join()
    return seen[0], seen[1]


@linux_only
def test_a_helper_runs_below_the_process_and_its_own_threads_inherit_that():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(19, base + HELPER_NICE_STEP)
    assert _nice_inside(below_model=True) == (expected, expected)
    assert _nice_inside(below_model=False) == (base, base)
    assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the calling thread is untouched


@linux_only
def test_at_the_lowest_priority_already_a_helper_stays_there():
    def target() -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        helper_threads.lower_this_thread()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    seen: list[int] = []
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert seen == [19]


def test_a_run_on_the_cpu_lowers_its_helpers_and_uses_opencv_on_one_thread(media, tmp_path,
                                                                            monkeypatch):
    import cv2

    lowered: dict[str, int] = {}
    monkeypatch.setattr(helper_threads, "lower_this_thread", lambda: lowered.setdefault(
        threading.current_thread().name, cv2.getNumThreads()))
    before = cv2.getNumThreads()
    job = DetectJob(input=media("videos/mmpose_demo.mp4"), output=tmp_path,
                    params=TaskParams(device="cpu"))
    summary = run(job, EventSink(None), threading.Event())
    assert summary.frames_processed == 5
    assert sorted(lowered) == ["decode", "scrub-proxy", "stages"]
    assert lowered["decode"] == 1  # OpenCV's pool is off while frames are decoded
    assert cv2.getNumThreads() == before  # and the process's setting is back afterwards
