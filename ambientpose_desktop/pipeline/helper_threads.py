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


def helper_thread(target: Callable[[], None], name: str, below_model: bool) -> threading.Thread:
    """A daemon thread running ``target``; with ``below_model``, below the model's priority
    from its first instruction (threads it starts, such as OpenCV's, inherit that)."""

    def run() -> None:
        if below_model:
            lower_this_thread()
        target()

    return threading.Thread(target=run, name=name, daemon=True)
