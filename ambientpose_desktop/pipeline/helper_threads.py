"""The worker's helper threads (decoding, the stages after the model, the scrub proxy's
encoder), which can run below the model's priority.

A model on the CPU keeps the cores nearly full, and the helpers need about an eighth more on
top; they have queues to run ahead in. At the model's priority the scheduler hands them the
model's time (and the model's threads then wait for each other at their barrier); a few nice
levels lower they run in the gaps the model leaves instead. Measured side by side on 2 cores
(``benchmarks/worker_throughput.py``, 1080p, 3 rounds): detect went from 0.86 to 0.90x the
model's rate on a quiet machine and stayed where it was (1.05 against 1.06) with another
process busy on one core; 19 levels lower was faster still when quiet (0.93) but starved the
helpers under load (0.88), hence ``HELPER_NICE_STEP``. Not for a model on a GPU, whose
calling thread waits for the device and whose speed the helpers then set.

OpenCV's own pool (a thread per core, which the decoding thread's resize woke for every
frame) is left out on the same grounds: one thread resizes a 1080p frame in ~1 ms, and the
pool's threads took ~1.6 ms of CPU a frame from the model's cores (detect 0.90 -> 0.91x, CPU
81.7 -> 79.8 ms a frame, side by side, 3 rounds).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable

HELPER_NICE_STEP = 10
_MAX_NICE = 19


def lower_this_thread(step: int = HELPER_NICE_STEP) -> None:
    """Run the calling thread ``step`` nice levels below the process (at most 19). Only on
    Linux, where a nice value is a thread's own (elsewhere it would lower the whole
    process); a refusal leaves the thread as it was."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        nice = min(_MAX_NICE, os.getpriority(os.PRIO_PROCESS, 0) + step)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


def opencv_on_one_thread() -> Callable[[], None]:
    """OpenCV without its thread pool from now on; returns what puts the process's setting
    back (a worker may run in a process that goes on to other work)."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    return lambda: cv2.setNumThreads(before)


def helper_thread(target: Callable[[], None], name: str, below_model: bool) -> threading.Thread:
    """A daemon thread running ``target``; with ``below_model``, below the model's priority
    from its first instruction (threads it starts, such as OpenCV's, inherit that)."""

    def run() -> None:
        if below_model:
            lower_this_thread()
        target()

    return threading.Thread(target=run, name=name, daemon=True)
