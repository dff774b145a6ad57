"""Process-level side of the worker: signals, events, error file and exit codes.

Exit codes: 0 success, 1 failure, 2 bad usage or input, 130 canceled by SIGINT, 143 by SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from loguru import logger

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.errors import AmbientPoseError, DecodeError
from ambientpose_desktop.core.events import Canceled, Event, Failed, Finished
from ambientpose_desktop.core.logs import setup_logging
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.events_sink import EventSink
from ambientpose_desktop.pipeline.worker import DetectJob, RunCanceled, run

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _install_stop_handlers(stop: threading.Event) -> dict[str, int]:
    received = {"code": 130}

    def handler(signum: int, _frame: object) -> None:
        received["code"] = _SIGNAL_EXIT.get(signum, 143)
        stop.set()

    for sig in _SIGNAL_EXIT:
        signal.signal(sig, handler)
    return received


def _log_to_events(sink: EventSink):
    def write(message) -> None:  # loguru message object
        record = message.record
        sink.log(record["level"].name, record["message"])

    return write


def detect_main(job: DetectJob, debug: bool = False, *, stream: TextIO | None = None,
                listener: Callable[[Event], None] | None = None) -> int:
    """Run ``job`` as a worker process would; returns the exit code. ``stream`` gets the
    JSON event lines (the runners read stdout), ``listener`` each event (a progress bar)."""
    setup_logging("worker", stderr_level="ERROR" if not debug else "DEBUG", debug=debug)
    stop = threading.Event()
    received = _install_stop_handlers(stop)
    events_path = None
    if Path(job.input).exists():  # a missing input must not leave an empty results folder
        try:
            Path(job.output).mkdir(parents=True, exist_ok=True)
            events_path = TaskFolder(job.output).events
        except OSError:
            pass  # reported properly by the run's own writability check
    try:
        sink = EventSink(events_path, stream, listener=listener)
    except OSError:
        sink = EventSink(None, stream, listener=listener)
    logger.add(_log_to_events(sink), level="INFO", format="{message}")
    try:
        summary = run(job, sink, stop)
    except RunCanceled as exc:
        sink.emit(Canceled(frames=exc.frames))
        print(f"canceled after {exc.frames} frames", file=sys.stderr)
        return received["code"]
    except (AmbientPoseError, DecodeError) as exc:
        return _fail(job, sink, str(exc), exc.exit_code, debug)
    except MemoryError:
        return _fail(job, sink, "out of memory: try a smaller --imgsz or close other programs",
                     EXIT_FAILED, debug)
    except Exception as exc:
        message = f"unexpected error: {type(exc).__name__}: {exc}"
        return _fail(job, sink, message, EXIT_FAILED, debug)
    finally:
        logger.remove()
    sink.emit(Finished(frames=summary.frames_processed, persons=summary.persons,
                       elapsed_s=summary.timings.get("elapsed_s", 0.0), outputs=summary.outputs))
    sink.close()
    written = job.output if job.frame_range else TaskFolder(job.output).pose_json  # a chunk's
    print(f"done: {summary.frames_processed} frames, {summary.persons} poses, "
          f"{summary.tracks} tracks -> {written}", file=sys.stderr)
    return EXIT_OK


def _fail(job: DetectJob, sink: EventSink, message: str, code: int, debug: bool) -> int:
    """Report a failure: ``error.txt`` keeps the traceback, the terminal gets one line."""
    trace = traceback.format_exc()
    if Path(job.output).is_dir():
        with contextlib.suppress(OSError):  # the output folder itself may be the problem
            atomic_write_text(TaskFolder(job.output).error, f"{message}\n\n{trace}")
    sink.emit(Failed(error=message))
    sink.close()
    print(f"error: {message}", file=sys.stderr)
    if debug:
        print(trace, file=sys.stderr)
    return code
