"""Integrity checks of added videos, in the background, at low priority.

When a video is added (window, API, ``ambientpose run``), the runner that owns the queue hands
it here. Checks run one at a time, each as ``ambientpose check VIDEO --progress`` in a process
of its own at the workers' lower priority: decoding a long video for minutes must neither
take the window's GUI thread (nor its interpreter's lock) nor crash the window if FFmpeg
trips over a damaged file. A thread of ours waits on that process, reads its progress lines
and stores the findings: in the task's row (``TaskRepository.set_media_check``) and in the
task folder's ``check.json``. The task does not wait: it may start before its check ends.

Whoever owns this object learns of progress and findings through the two callbacks, which are
called on the checks' thread; the runners hand them on to their own thread (the window's
signals, the lifecycle's thread) and fail a task whose input turns out unreadable
(``TaskLifecycle.refuse_input``).
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loguru import logger
from sqlalchemy.exc import DBAPIError

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.runner.command import lower_priority, worker_environment, worker_program
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository

OnProgress = Callable[[str, float], None]  # task id, fraction done
OnFinished = Callable[[str, MediaCheck], None]  # task id, findings (stored already)
EXISTS_EVERY_S = 2.0  # how often a running check asks whether its task is still there


@dataclass
class _Job:
    task_id: str
    input_path: str


class MediaChecks:
    """A queue of integrity checks and the thread that runs them."""

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore, *,
                 on_progress: OnProgress | None = None,
                 on_finished: OnFinished | None = None) -> None:
        self.repo = repo
        self.artefacts = artefacts
        self.on_progress = on_progress or (lambda task_id, fraction: None)
        self.on_finished = on_finished or (lambda task_id, check: None)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0  # submitted and not finished
        self._thread: threading.Thread | None = None
        self._current: subprocess.Popen | None = None
        self._closed = False

    def submit(self, task_id: str, input_path: str | Path) -> None:
        """Check the video of ``task_id`` when the checks before it are done (folders of
        images are not checked: each image is read on its own)."""
        if Path(input_path).is_dir():
            return
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="media-checks",
                                                daemon=True)
                self._thread.start()
            self._pending += 1
        self._jobs.put(_Job(task_id, str(input_path)))

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until every check submitted has ended (``ambientpose run`` does before it
        exits, so its tasks keep their findings); ``False`` on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0 or self._closed, timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the check that runs, drop the queued ones and wait for the thread."""
        with self._idle:
            self._closed = True
            self._idle.notify_all()
            current, thread = self._current, self._thread
        self._jobs.put(None)
        if current is not None:
            with contextlib.suppress(OSError):
                current.kill()
        if thread is not None:
            thread.join(timeout_s)

    # -- on the checks' thread -------------------------------------------------------------
    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._closed:
                return
            try:
                self._run_one(job)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _run_one(self, job: _Job) -> None:
        if not self._task_exists(job.task_id):  # removed before its turn
            return
        try:
            check = self._check(job)
        except Exception:  # one bad check must not end the others
            logger.exception("task {}: the media check failed", job.task_id)
            return
        if check is not None:
            self._store(job.task_id, check)

    def _check(self, job: _Job) -> MediaCheck | None:
        """Run ``ambientpose check`` on the job's video; ``None`` if it gave no findings
        (stopped, or the file vanished: nothing to say about the video)."""
        argv = [*worker_program(), "check", "--progress", "--", job.input_path]
        # stderr to a file: a pipe nobody reads while stdout is read could fill and stall it.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=errors, text=True, encoding="utf-8",
                                       errors="replace", env=worker_environment())
            lower_priority(process.pid)
            with self._lock:
                self._current = process
                if self._closed:  # closed while it started
                    process.kill()
            try:
                found = self._read(job.task_id, process)
                code = process.wait()
            finally:
                with self._lock:
                    self._current = None
            errors.seek(0)
            error = errors.read().strip()
        if found is None:
            if code not in (-9, 0, 1):
                logger.warning("task {}: media check gave no findings (exit code {}): {}",
                               job.task_id, code, error.splitlines()[-1:] or "")
            return None
        return MediaCheck.from_dict(found)

    def _read(self, task_id: str, process: subprocess.Popen) -> dict | None:
        """Progress lines to ``on_progress``; the findings, from the last line."""
        found = None
        asked = time.monotonic()
        assert process.stdout is not None
        for line in process.stdout:
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and set(data) == {"progress"}:
                    self.on_progress(task_id, float(data["progress"]))
                elif isinstance(data, dict) and "ok" in data:
                    found = data
            if time.monotonic() - asked > EXISTS_EVERY_S:
                asked = time.monotonic()
                if not self._task_exists(task_id):  # removed: stop decoding for it
                    process.kill()
        return found

    def _task_exists(self, task_id: str) -> bool:
        try:
            return self.repo.find(task_id) is not None
        except DBAPIError:  # cannot tell now: carry on
            return True

    def _store(self, task_id: str, check: MediaCheck) -> None:
        data = check.to_dict()
        try:
            self.repo.set_media_check(task_id, data)
        except TaskNotFound:  # removed meanwhile: its folder is gone too
            return
        target = TaskFolder(self.artefacts.task_dir(task_id)).media_check
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            logger.warning("task {}: cannot write {}: {}", task_id, target, exc)
        self.on_finished(task_id, check)
